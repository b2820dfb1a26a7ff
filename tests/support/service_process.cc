#include "tests/support/service_process.h"

#include <curl/curl.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/kafka_environment.h"

namespace vnstream::testing {
namespace {

// The file from byte `offset` on.
std::string ReadFrom(const std::string& path, size_t offset) {
  std::ifstream in(path);
  in.seekg(static_cast<std::streamoff>(offset));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Tail(const std::string& text, size_t n) {
  return text.size() <= n ? text : text.substr(text.size() - n);
}

std::optional<std::vector<std::string>> FindLine(absl::string_view text,
                                                 const std::regex& pattern) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::smatch match;
    const std::string s(line);
    if (std::regex_search(s, match, pattern)) {
      std::vector<std::string> groups;
      for (size_t i = 1; i < match.size(); ++i)
        groups.push_back(match[i].str());
      return groups;
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::string> Http(const std::string& url,
                                 const std::string* body,
                                 const std::string& method) {
  CURL* curl = curl_easy_init();
  std::string out;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION,
      +[](char* data, size_t size, size_t n, void* user) {
        static_cast<std::string*>(user)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
  if (body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->c_str());
  }
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat(url, ": ", curl_easy_strerror(code)));
  }
  if (status >= 400)
    return absl::InternalError(absl::StrCat(url, ": HTTP ", status, " ", out));
  return out;
}

}  // namespace

std::string Runfile(const std::string& workspace_path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return workspace_path;
  return absl::StrCat(srcdir, "/",
                      workspace != nullptr ? workspace : "vnstream", "/",
                      workspace_path);
}

absl::StatusOr<std::vector<std::string>> WaitForLog(
    const ServiceProcess& service, const std::string& pattern,
    absl::Duration timeout) {
  const std::regex re(pattern);
  std::optional<std::vector<std::string>> found;
  const bool ok = PollUntil(
      [&] {
        found = FindLine(ReadFrom(service.log_path, service.log_offset), re);
        return found.has_value() || !service.process->Running();
      },
      timeout, absl::Milliseconds(50));
  if (found.has_value()) return *found;
  return absl::DeadlineExceededError(
      absl::StrCat(ok ? "process exited" : "timed out", " before '", pattern,
                   "'; log ", service.log_path, " ends with:\n",
                   Tail(ReadFrom(service.log_path, service.log_offset), 3000)));
}

absl::StatusOr<ServiceProcess> StartService(
    const std::string& name, const std::string& binary,
    const std::vector<std::string>& args, const std::string& ready,
    absl::Duration timeout) {
  const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  ServiceProcess service;
  service.log_path = outputs != nullptr
                         ? absl::StrCat(outputs, "/", name, ".log")
                         : TestTempPath(name + ".log");
  std::error_code no_file;
  service.log_offset = std::filesystem::file_size(service.log_path, no_file);
  if (no_file) service.log_offset = 0;
  std::ofstream(service.log_path, std::ios::app)
      << "=== starting " << name << "\n";
  std::vector<std::string> argv = {Runfile(binary)};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start({.argv = argv, .log_path = service.log_path});
  if (!process.ok()) return process.status();
  service.process = *std::move(process);
  absl::StatusOr<std::vector<std::string>> captured =
      WaitForLog(service, ready, timeout);
  if (!captured.ok()) return captured.status();
  service.captured = *std::move(captured);
  return service;
}

absl::StatusOr<std::string> HttpGet(const std::string& url) {
  return Http(url, nullptr, "GET");
}

absl::StatusOr<std::string> HttpPost(const std::string& url,
                                     const std::string& body,
                                     const std::string& method) {
  return Http(url, &body, method);
}

std::string Grpcurl(const std::vector<std::string>& args,
                    absl::Duration timeout) {
  const char* grpcurl = std::getenv("VNSTREAM_GRPCURL");
  EXPECT_NE(grpcurl, nullptr) << "VNSTREAM_GRPCURL unset: run scripts/setup.sh";
  if (grpcurl == nullptr) return "";
  static std::atomic<int> n{0};
  const std::string log = TestTempPath(absl::StrCat("grpcurl-", ++n, ".out"));
  std::vector<std::string> argv = {grpcurl};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start({.argv = argv, .log_path = log});
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return "";
  EXPECT_TRUE((*process)->Wait(timeout).ok());
  return ReadFrom(log, 0);
}

std::optional<double> MetricValue(
    const std::string& exposition, const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& labels) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::StartsWith(line, name)) continue;
    const absl::string_view rest = line.substr(name.size());
    if (rest.empty() || (rest[0] != '{' && rest[0] != ' ')) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      match &= absl::StrContains(rest, absl::StrCat(k, "=\"", v, "\""));
    }
    if (!match) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value))
      return value;
  }
  return std::nullopt;
}

}  // namespace vnstream::testing
