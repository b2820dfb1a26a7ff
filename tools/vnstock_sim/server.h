// The HTTP face of vnstock-sim (cpp-httplib): the VCI routes with fault
// injection, and the /sim control API (README.md).
#ifndef VNSTREAM_TOOLS_VNSTOCK_SIM_SERVER_H_
#define VNSTREAM_TOOLS_VNSTOCK_SIM_SERVER_H_

#include <atomic>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "httplib.h"
#include "tools/vnstock_sim/faults.h"
#include "tools/vnstock_sim/simulator.h"

namespace vnstream::sim {

class SimServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;  // 0 = an ephemeral port.
    // Worker threads; each keep-alive connection holds one while open.
    int threads = 16;
  };

  // `sim` must outlive the server.
  explicit SimServer(Simulator& sim);
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;
  ~SimServer();  // Stops.

  // Binds, starts serving on a background thread, returns the bound port.
  absl::StatusOr<int> Start(const Options& options);
  // Stops accepting, cuts injected delays short and joins. Idempotent.
  void Stop();

 private:
  void ServeVci(Route route, const httplib::Request& request,
                httplib::Response& response);
  // The normal answer of a VCI route; InvalidArgument for a bad request.
  absl::StatusOr<std::string> Answer(Route route,
                                     const httplib::Request& request);
  void ServeState(httplib::Response& response);
  void ServeAddFault(const httplib::Request& request,
                     httplib::Response& response);
  void ServeSetClock(const httplib::Request& request,
                     httplib::Response& response);
  void ServeSetListed(const httplib::Request& request,
                      httplib::Response& response);

  Simulator& sim_;
  httplib::Server http_;
  std::thread thread_;
  absl::Notification stopping_;
  // Numbers the Cloudflare ray ids of injected pages.
  std::atomic<uint64_t> rays_{0};
};

}  // namespace vnstream::sim

#endif  // VNSTREAM_TOOLS_VNSTOCK_SIM_SERVER_H_
