/*
 * Why `qemu-aarch64-static -p 16384` is not a 16 KB kernel (native/README.md): prints the page
 * size, whether /proc/self/maps has a [stack] line, and what pthread_getattr_np() returns for the
 * main thread (0, or an errno). JavaScriptCore aborts at start-up when that call fails.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[512];
  int stack_line = 0;
  while (maps && fgets(line, sizeof line, maps))
    if (strstr(line, "[stack]")) stack_line = 1;
  if (maps) fclose(maps);
  pthread_attr_t attr;
  int rc = pthread_getattr_np(pthread_self(), &attr);
  if (rc == 0) pthread_attr_destroy(&attr);
  printf("pagesize=%ld stack_line=%d pthread_getattr_np=%d\n", sysconf(_SC_PAGESIZE), stack_line, rc);
  return rc != 0;
}
