/* weir: process titles ("weir: master process", "weir: worker process")
 * by overwriting the argv area, as ps shows it. */
#ifndef LB_SETPROCTITLE_H
#define LB_SETPROCTITLE_H

/* Call once in main before anything reads environ: moves the environment
 * out of the way so the argv area can hold a longer title. */
void lb_init_setproctitle(int argc, char **argv);

/* Set the title; truncated to the space argv and environ had. */
void lb_setproctitle(const char *title);

#endif /* LB_SETPROCTITLE_H */
