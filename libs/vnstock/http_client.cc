#include "libs/vnstock/http_client.h"

#include <curl/curl.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace vnstream::vnstock {
namespace {

struct Transfer {
  HttpResponse* response;
  size_t max_bytes;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (transfer->response->body.size() + n > transfer->max_bytes) {
    transfer->too_large = true;
    return 0;  // Aborts the transfer.
  }
  transfer->response->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t n = size * count;
  absl::string_view line(data, n);
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    transfer->response->headers[absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(line.substr(0, colon)))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  } else if (absl::StartsWith(line, "HTTP/")) {
    // A new response (redirect or 100-continue): forget earlier headers.
    transfer->response->headers.clear();
  }
  return n;
}

// libcurl's global state must be set up once, before any thread uses it.
void GlobalInit() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

}  // namespace

HttpClient::HttpClient(Options options) : options_(std::move(options)) {
  GlobalInit();
  curl_slist* list = nullptr;
  for (const std::string& header : options_.headers) {
    list = curl_slist_append(list, header.c_str());
  }
  header_list_ = list;
}

HttpClient::~HttpClient() {
  absl::MutexLock lock(&mu_);
  for (void* handle : idle_handles_)
    curl_easy_cleanup(static_cast<CURL*>(handle));
  curl_slist_free_all(static_cast<curl_slist*>(header_list_));
}

void* HttpClient::AcquireHandle() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_handles_.empty()) {
      void* handle = idle_handles_.back();
      idle_handles_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void HttpClient::ReleaseHandle(void* handle) {
  absl::MutexLock lock(&mu_);
  idle_handles_.push_back(handle);
}

absl::StatusOr<HttpResponse> HttpClient::Perform(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(AcquireHandle());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  // Reset options from the previous use; the connection cache survives.
  curl_easy_reset(curl);
  HttpResponse response;
  Transfer transfer{&response, options_.max_response_bytes};
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list_);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // Multi-threaded use.
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  // What vnstock (python-requests) sends. Not brotli: servers that pick it
  // (cpp-httplib in vnstock-sim) may compress at its slowest level, ~100 ms
  // per 80 KB board, for a few percent fewer bytes than gzip.
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
  curl_easy_setopt(
      curl, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(
                       1, absl::ToInt64Milliseconds(request.timeout))));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(request.body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  const absl::Time start = absl::Now();
  const CURLcode code = curl_easy_perform(curl);
  response.elapsed = absl::Now() - start;
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  ReleaseHandle(curl);
  response.status = static_cast<int>(status);

  switch (code) {
    case CURLE_OK:
      return response;
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(
          absl::StrCat(request.url, ": timed out after ",
                       absl::FormatDuration(response.elapsed)));
    case CURLE_WRITE_ERROR:
      if (transfer.too_large) {
        return absl::ResourceExhaustedError(
            absl::StrCat(request.url, ": response larger than ",
                         options_.max_response_bytes, " bytes"));
      }
      [[fallthrough]];
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return absl::UnavailableError(
          absl::StrCat(request.url, ": ", curl_easy_strerror(code)));
    default:
      return absl::InternalError(
          absl::StrCat(request.url, ": ", curl_easy_strerror(code)));
  }
}

}  // namespace vnstream::vnstock
