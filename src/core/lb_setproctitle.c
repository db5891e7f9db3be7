/* weir: process titles. The kernel shows /proc/PID/cmdline from the
 * memory where argv and environ were laid out at exec; we copy environ
 * away and reuse that whole span for the title. */
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "lb_setproctitle.h"

extern char  **environ;

static char   *lb_title_start;
static size_t  lb_title_size;


void
lb_init_setproctitle(int argc, char **argv)
{
    int     i, n;
    char   *end, **env;

    if (argc == 0 || argv[0] == NULL) {
        return;
    }

    end = argv[0];
    for (i = 0; i < argc; i++) {
        if (argv[i] == end) {
            end = argv[i] + strlen(argv[i]) + 1;
        }
    }

    for (n = 0; environ[n] != NULL; n++) {
        /* count */
    }

    env = malloc((n + 1) * sizeof(char *));
    if (env == NULL) {
        return;
    }

    for (i = 0; i < n; i++) {
        if (environ[i] == end) {
            end = environ[i] + strlen(environ[i]) + 1;
        }
        env[i] = strdup(environ[i]);
        if (env[i] == NULL) {
            return;
        }
    }
    env[n] = NULL;
    environ = env;

    /* argv strings are copied by main before this is called */
    lb_title_start = argv[0];
    lb_title_size = end - argv[0];
}


void
lb_setproctitle(const char *title)
{
    size_t  len;

    prctl(PR_SET_NAME, "weir", 0, 0, 0);

    if (lb_title_start == NULL || lb_title_size < 2) {
        return;
    }

    len = strlen(title);
    if (len > lb_title_size - 1) {
        len = lb_title_size - 1;
    }

    memcpy(lb_title_start, title, len);
    memset(lb_title_start + len, '\0', lb_title_size - len);
}
