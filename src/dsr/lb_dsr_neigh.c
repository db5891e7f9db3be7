/* weir: target MAC addresses from the kernel's neighbour table
 * (lb_dsr_neigh.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "lb_dsr_neigh.h"
#include "lb_log.h"

#define LB_DSR_NEIGH_BUF  32768

static int       lb_dsr_neigh_fd = -1;
static uint32_t  lb_dsr_neigh_seq;
static bool      lb_dsr_neigh_warned;


lb_int_t
lb_dsr_neigh_open(void)
{
    struct timeval      tv;
    struct sockaddr_nl  sa;

    if (lb_dsr_neigh_fd != -1) {
        return LB_OK;
    }

    lb_dsr_neigh_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
                             NETLINK_ROUTE);
    if (lb_dsr_neigh_fd == -1) {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "socket(AF_NETLINK) failed");
        return LB_ERROR;
    }

    /* a dump is answered at once; never hang the worker's loop on it */
    tv.tv_sec = 0;
    tv.tv_usec = 200000;

    memset(&sa, 0, sizeof(sa));
    sa.nl_family = AF_NETLINK;

    if (setsockopt(lb_dsr_neigh_fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
                   sizeof(tv)) == -1
        || bind(lb_dsr_neigh_fd, (struct sockaddr *) &sa, sizeof(sa)) == -1)
    {
        lb_log_error(LB_LOG_EMERG, &lb_log, errno,
                     "setting up the rtnetlink socket failed");
        close(lb_dsr_neigh_fd);
        lb_dsr_neigh_fd = -1;
        return LB_ERROR;
    }

    return LB_OK;
}


lb_int_t
lb_dsr_neigh_dump(int ifindex, lb_dsr_neigh_found_pt found, void *data)
{
    int               len, alen;
    bool              done;
    uint32_t          addr, seq;
    const uint8_t    *mac;
    struct rtattr    *rta;
    struct ndmsg     *nd;
    struct nlmsghdr  *nh;
    static char       buf[LB_DSR_NEIGH_BUF]
                          __attribute__((aligned(NLMSG_ALIGNTO)));
    struct {
        struct nlmsghdr  nh;
        struct ndmsg     nd;
    } req;

    memset(&req, 0, sizeof(req));
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg));
    req.nh.nlmsg_type = RTM_GETNEIGH;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nh.nlmsg_seq = seq = ++lb_dsr_neigh_seq;
    req.nd.ndm_family = AF_INET;
    req.nd.ndm_ifindex = ifindex;

    if (send(lb_dsr_neigh_fd, &req, req.nh.nlmsg_len, 0) == -1) {
        lb_log_error(LB_LOG_ERR, &lb_log, errno,
                     "send(RTM_GETNEIGH) failed");
        return LB_ERROR;
    }

    for (done = false; !done; ) {
        len = recv(lb_dsr_neigh_fd, buf, sizeof(buf), 0);
        if (len == -1) {
            if (errno == EINTR) {
                continue;
            }
            lb_log_error(LB_LOG_ERR, &lb_log, errno,
                         "recv() of the neighbour table failed");
            return LB_ERROR;
        }

        for (nh = (struct nlmsghdr *) buf; NLMSG_OK(nh, (unsigned) len);
             nh = NLMSG_NEXT(nh, len))
        {
            if (nh->nlmsg_seq != seq) {
                /* the answer to an earlier request that timed out */
                continue;
            }

            if (nh->nlmsg_type == NLMSG_DONE) {
                done = true;
                break;
            }

            if (nh->nlmsg_type == NLMSG_ERROR) {
                lb_log_error(LB_LOG_ERR, &lb_log, 0,
                             "RTM_GETNEIGH answered an error");
                return LB_ERROR;
            }

            if (nh->nlmsg_type != RTM_NEWNEIGH) {
                continue;
            }

            nd = NLMSG_DATA(nh);

            if (nd->ndm_family != AF_INET || nd->ndm_ifindex != ifindex
                || !(nd->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY
                                      | NUD_PROBE | NUD_PERMANENT)))
            {
                continue;
            }

            addr = 0;
            mac = NULL;
            alen = (int) RTM_PAYLOAD(nh);

            for (rta = RTM_RTA(nd); RTA_OK(rta, alen);
                 rta = RTA_NEXT(rta, alen))
            {
                if (rta->rta_type == NDA_DST && RTA_PAYLOAD(rta) == 4) {
                    memcpy(&addr, RTA_DATA(rta), 4);

                } else if (rta->rta_type == NDA_LLADDR
                           && RTA_PAYLOAD(rta) == 6)
                {
                    mac = RTA_DATA(rta);
                }
            }

            if (addr != 0 && mac != NULL) {
                found(addr, mac, (nd->ndm_state
                                  & (NUD_REACHABLE | NUD_PERMANENT)) != 0,
                      data);
            }
        }
    }

    return LB_OK;
}


lb_int_t
lb_dsr_neigh_probe(int ifindex, uint32_t addr)
{
    struct {
        struct nlmsghdr  nh;
        struct ndmsg     nd;
        struct rtattr    rta;
        uint32_t         addr;
    } req;

    memset(&req, 0, sizeof(req));
    req.nh.nlmsg_len = sizeof(req);
    req.nh.nlmsg_type = RTM_NEWNEIGH;
    /* no NLM_F_ACK: the answer would only be read with the next dump */
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE;
    req.nh.nlmsg_seq = ++lb_dsr_neigh_seq;
    req.nd.ndm_family = AF_INET;
    req.nd.ndm_ifindex = ifindex;
    req.nd.ndm_state = NUD_NONE;
    req.nd.ndm_flags = NTF_USE;
    req.rta.rta_type = NDA_DST;
    req.rta.rta_len = RTA_LENGTH(4);
    req.addr = addr;

    if (send(lb_dsr_neigh_fd, &req, sizeof(req), 0) == -1) {
        if (!lb_dsr_neigh_warned) {
            lb_dsr_neigh_warned = true;
            lb_log_error(LB_LOG_WARN, &lb_log, errno,
                         "send(RTM_NEWNEIGH, NTF_USE) failed");
        }
        return LB_ERROR;
    }

    return LB_OK;
}
