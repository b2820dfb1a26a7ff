// The vnstock-sim binary with the shipped config.yaml: prints its port on
// the first stdout line, serves, stops cleanly on SIGTERM; bad settings
// exit 2 with a message.
#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/base/subprocess.h"

namespace vnstream::sim {
namespace {

using ::testing::HasSubstr;

constexpr char kBinary[] = "tools/vnstock_sim/vnstock-sim";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string TempPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

// Runs the binary with stdout and stderr in separate files.
absl::StatusOr<std::unique_ptr<Subprocess>> StartSim(
    const std::vector<std::string>& flags, const std::string& out,
    const std::string& err) {
  std::vector<std::string> argv = {
      "/bin/sh", "-c", absl::StrCat("exec \"$0\" \"$@\" 2>>", err), kBinary};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return Subprocess::Start({.argv = argv, .log_path = out});
}

size_t WriteNothing(char*, size_t size, size_t n, void*) { return size * n; }

long GetStatus(int port, const std::string& path, std::string* sim_header) {
  CURL* curl = curl_easy_init();
  const std::string url = absl::StrCat("http://127.0.0.1:", port, path);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10'000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteNothing);
  curl_easy_setopt(
      curl, CURLOPT_HEADERFUNCTION,
      +[](char* data, size_t size, size_t n, void* user) {
        const absl::string_view line(data, size * n);
        if (absl::StartsWithIgnoreCase(line, "X-Vnstock-Sim:")) {
          *static_cast<std::string*>(user) = std::string(
              absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
        }
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, sim_header);
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_easy_cleanup(curl);
  return status;
}

TEST(MainTest, ServesWithTheShippedConfigAndStopsOnSigterm) {
  const std::string out = TempPath("serve.out");
  const std::string err = TempPath("serve.err");
  absl::StatusOr<std::unique_ptr<Subprocess>> sim =
      StartSim({"--config=tools/vnstock_sim/config.yaml", "--port=0",
                "--today=2019-06-14"},
               out, err);
  ASSERT_TRUE(sim.ok()) << sim.status();

  std::string first_line;
  ASSERT_TRUE(PollUntil(
      [&] {
        const std::string text = ReadFile(out);
        const size_t newline = text.find('\n');
        if (newline == std::string::npos) return !(*sim)->Running();
        first_line = text.substr(0, newline);
        return true;
      },
      absl::Seconds(30)))
      << ReadFile(err);
  constexpr absl::string_view kPrefix = "vnstock-sim listening on 127.0.0.1:";
  ASSERT_TRUE(absl::StartsWith(first_line, kPrefix)) << first_line << "\n"
                                                     << ReadFile(err);
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(first_line.substr(kPrefix.size()), &port));

  std::string header;
  EXPECT_EQ(GetStatus(port, "/sim/state", &header), 200);
  EXPECT_EQ(header, "1");

  ASSERT_TRUE((*sim)->Signal(SIGTERM).ok());
  absl::StatusOr<int> status = (*sim)->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  EXPECT_THAT(ReadFile(err), HasSubstr("listening on 127.0.0.1:"));
}

TEST(MainTest, BadSettingsExitWithAMessage) {
  const std::string out = TempPath("bad.out");
  const std::string err = TempPath("bad.err");
  absl::StatusOr<std::unique_ptr<Subprocess>> sim =
      StartSim({"--port=0", "--replay_date=2019-06-15"}, out, err);
  ASSERT_TRUE(sim.ok()) << sim.status();
  absl::StatusOr<int> status = (*sim)->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << *status;
  EXPECT_THAT(ReadFile(err),
              HasSubstr("--replay_date=2019-06-15 is not a date"));
  EXPECT_EQ(ReadFile(out), "");
}

}  // namespace
}  // namespace vnstream::sim
