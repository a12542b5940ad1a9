/*
 * A UDP echo server and client for the multi-node tests: the test image's busybox has no UDP
 * server (its nc is the small one, without -u), so the harness compiles this statically
 * (udp.ts) and pods get it through a hostPath volume.
 *
 *   udp-echo serve PORT                       answer each datagram with "<hostname> <datagram>"
 *   udp-echo send HOST PORT MESSAGE [MS]      send one datagram, print the answer (exit 1: none within MS, default 1000)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int serve(int port) {
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    perror("udp-echo: bind");
    return 1;
  }
  printf("udp-echo: %s listening on udp/%d\n", host, port);
  fflush(stdout);
  char in[1024], out[1400];
  for (;;) {
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, in, sizeof in - 1, 0, (struct sockaddr *)&from, &len);
    if (n < 0) continue;
    in[n] = 0;
    int m = snprintf(out, sizeof out, "%s %s", host, in);
    sendto(fd, out, (size_t)m, 0, (struct sockaddr *)&from, len);
  }
}

static int send_one(const char *host, int port, const char *msg, int ms) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "udp-echo: bad address %s\n", host);
    return 2;
  }
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || send(fd, msg, strlen(msg), 0) < 0) {
    perror("udp-echo: send");
    return 1;
  }
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, ms) != 1) {
    fprintf(stderr, "udp-echo: no answer from %s:%d within %d ms\n", host, port, ms);
    return 1;
  }
  char buf[1500];
  ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
  if (n < 0) {
    perror("udp-echo: recv");
    return 1;
  }
  buf[n] = 0;
  printf("%s\n", buf);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(atoi(argv[2]));
  if ((argc == 5 || argc == 6) && strcmp(argv[1], "send") == 0) return send_one(argv[2], atoi(argv[3]), argv[4], argc == 6 ? atoi(argv[5]) : 1000);
  fprintf(stderr, "usage: udp-echo serve PORT | udp-echo send HOST PORT MESSAGE [MS]\n");
  return 2;
}
