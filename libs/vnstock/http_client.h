// A small blocking HTTP client over libcurl for the VNStock APIs. Easy
// handles are pooled and reused, so connections are kept alive across
// requests (libcurl's per-handle connection cache). Thread-safe: any number
// of threads may call Perform() concurrently; each uses its own handle.
#ifndef VNSTREAM_LIBS_VNSTOCK_HTTP_CLIENT_H_
#define VNSTREAM_LIBS_VNSTOCK_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vnstream::vnstock {

struct HttpRequest {
  // "GET" or "POST".
  std::string method = "POST";
  std::string url;
  std::string body;
  // Whole-request timeout (connect + transfer).
  absl::Duration timeout = absl::Seconds(10);
};

struct HttpResponse {
  int status = 0;
  std::string body;
  // Header names lower-cased; the last value wins.
  std::map<std::string, std::string> headers;
  absl::Duration elapsed;
};

class HttpClient {
 public:
  struct Options {
    // Sent with every request ("Name: value").
    std::vector<std::string> headers;
    absl::Duration connect_timeout = absl::Seconds(5);
    // Largest response body accepted, bytes (a bigger one is an error, not
    // an out-of-memory).
    size_t max_response_bytes = 64 << 20;
  };

  explicit HttpClient(Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs one request. Any HTTP status is a successful result; transport
  // failures are errors: DeadlineExceeded (timeout), Unavailable (connect,
  // DNS, reset), ResourceExhausted (body too large), Internal (other).
  absl::StatusOr<HttpResponse> Perform(const HttpRequest& request);

 private:
  void* AcquireHandle();
  void ReleaseHandle(void* handle);

  const Options options_;
  // The joined header list for libcurl (curl_slist*), built once.
  void* header_list_ = nullptr;
  absl::Mutex mu_;
  std::vector<void*> idle_handles_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vnstream::vnstock

#endif  // VNSTREAM_LIBS_VNSTOCK_HTTP_CLIENT_H_
