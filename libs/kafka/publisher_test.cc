// Publisher without a broker: several threads publish while the sender
// thread hands records to librdkafka; the buffer stays bounded, every record
// dropped is counted, and whatever is left at destruction is counted as
// lost. The broker's side (delivery, timeouts, restarts) is kafka_io_test's.
// Runs in every stage of scripts/test.sh, TSan's included (librdkafka's C11
// threads through bazel/tsan_c11_threads_shim.cc).
#include "libs/kafka/publisher.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"

namespace vnstream::kafka {
namespace {

constexpr char kTopic[] = "publisher-test";

// A 127.0.0.1 port bound but not listening, for as long as it lives:
// connecting is refused at once, and no other process can take the port.
class RefusingPort {
 public:
  RefusingPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ >= 0 &&
        bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~RefusingPort() {
    if (fd_ >= 0) close(fd_);
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  int port() const { return port_; }

 private:
  const int fd_;
  int port_ = 0;
};

// <prefix>_records_lost_total{topic=kTopic,reason} (the registry merges a
// family registered again under the same name).
double Lost(prometheus::Registry& registry, const std::string& reason) {
  return prometheus::BuildCounter()
      .Name("test_records_lost_total")
      .Register(registry)
      .Add({{"topic", kTopic}, {"reason", reason}})
      .Value();
}

TEST(PublisherTest, ConcurrentPublishersStayBoundedAndEveryDropIsCounted) {
  RefusingPort broker;
  ASSERT_NE(broker.port(), 0);
  constexpr size_t kCapacity = 100;
  constexpr int kInFlight = 10;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  prometheus::Registry registry;
  auto publisher = Publisher::Create(
      {.bootstrap_servers = absl::StrCat("127.0.0.1:", broker.port()),
       .buffer_capacity = kCapacity,
       .max_in_flight = kInFlight},
      registry, "test");
  ASSERT_TRUE(publisher.ok()) << publisher.status();

  // First the sender hands kInFlight records to librdkafka, which holds
  // them (no broker, a 5-minute delivery timeout): from then on it takes no
  // more, so the threads' records beyond kCapacity are dropped whatever the
  // scheduling. (Were the threads to finish before the sender ran, it would
  // take its kInFlight from a full buffer afterwards, as a loaded CI machine
  // once did, and the buffer would end kInFlight short.)
  for (int i = 0; i < kInFlight; ++i) {
    (*publisher)
        ->Publish({.topic = kTopic,
                   .key = "first",
                   .value = absl::StrCat("first:", i)});
  }
  ASSERT_TRUE(PollUntil(
      [&] {
        return (*publisher)->buffered() == 0 &&
               (*publisher)->pending() == static_cast<size_t>(kInFlight);
      },
      absl::Seconds(5), absl::Milliseconds(5)))
      << (*publisher)->buffered() << " buffered, " << (*publisher)->pending()
      << " pending";

  std::atomic<bool> publishing{true};
  // Reads the bounds while the buffer fills and drops.
  std::thread watcher([&] {
    while (publishing) {
      EXPECT_LE((*publisher)->buffered(), kCapacity);
      EXPECT_LE((*publisher)->pending(), kCapacity + kInFlight);
    }
  });
  std::vector<std::thread> publishers;
  for (int t = 0; t < kThreads; ++t) {
    publishers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        (*publisher)
            ->Publish({.topic = kTopic,
                       .key = absl::StrCat("S", t),
                       .value = absl::StrCat(t, ":", i)});
      }
    });
  }
  for (std::thread& t : publishers) t.join();
  publishing = false;
  watcher.join();

  // librdkafka still holds max_in_flight (it cannot send them), the
  // buffer is full, and everything else was dropped and counted.
  EXPECT_TRUE(PollUntil(
      [&] {
        return (*publisher)->buffered() == kCapacity &&
               (*publisher)->pending() == kCapacity + kInFlight;
      },
      absl::Seconds(5), absl::Milliseconds(5)))
      << (*publisher)->buffered() << " buffered, " << (*publisher)->pending()
      << " pending";
  const double total = kThreads * kPerThread + kInFlight;
  EXPECT_EQ(Lost(registry, "buffer_full"), total - kCapacity - kInFlight);
  EXPECT_TRUE(PollUntil(
      [&] {
        return prometheus::BuildGauge()
                   .Name("test_buffered_records")
                   .Register(registry)
                   .Add({})
                   .Value() == kCapacity + kInFlight;
      },
      absl::Seconds(5), absl::Milliseconds(5)));
  EXPECT_EQ((*publisher)->Flush(absl::Milliseconds(20)).code(),
            absl::StatusCode::kDeadlineExceeded);

  publisher->reset();
  EXPECT_EQ(Lost(registry, "shutdown"), kCapacity + kInFlight)
      << "buffered and in flight at destruction";
  EXPECT_EQ(Lost(registry, "buffer_full") + Lost(registry, "shutdown"), total)
      << "every record accounted for";
  EXPECT_EQ(Lost(registry, "delivery_timeout"), 0);
  EXPECT_EQ(Lost(registry, "produce_failed"), 0);
}

}  // namespace
}  // namespace vnstream::kafka
