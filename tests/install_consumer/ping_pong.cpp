// ping_pong.cpp: two fibers bounce a counter through two queues of capacity
// 1, so every hand-off parks one fiber and wakes the other: it exercises the
// installed headers, the runtime library and Boost.Context together.
#include <cstdio>

#include "tmpmc/queue/queue.h"

int main() {
  constexpr int kRoundTrips = 1000;
  tmpmc::runtime::Runtime rt({.workers = 2});
  const int last = rt.block_on([] {
    tmpmc::Queue<int> ping(1, "ping"), pong(1, "pong");
    auto echo = tmpmc::runtime::spawn("echo", [ping, pong]() mutable {
      while (auto v = ping.receive()) (void)pong.send(*v + 1);  // parks while ping is empty
      pong.close();
    });
    int value = 0;
    for (int i = 0; i < kRoundTrips; ++i) {
      (void)ping.send(value);  // parks while ping is full
      value = *pong.receive();
    }
    ping.close();
    echo.join();
    return value;
  });
  std::printf("ping-pong: %d round trips, last value %d\n", kRoundTrips, last);
  return last == kRoundTrips ? 0 : 1;
}
