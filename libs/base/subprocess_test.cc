#include "libs/base/subprocess.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace vnstream {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string TmpPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(SubprocessTest, RunsWithEnvAndCapturesOutput) {
  const std::string log = TmpPath("echo.log");
  auto child = Subprocess::Start(
      {.argv = {"sh", "-c", "echo \"hello $GREETING\"; exit 3"},
       .env = {{"GREETING", "world"}},
       .log_path = log});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<int> status = (*child)->Wait(absl::Seconds(10));
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  EXPECT_EQ(ReadFile(log), "hello world\n");
}

TEST(SubprocessTest, TerminateStopsTheWholeGroup) {
  // The shell starts a grandchild; both must be gone after Terminate.
  const std::string pidfile = TmpPath("grandchild.pid");
  auto child = Subprocess::Start(
      {.argv = {"sh", "-c", "sleep 300 & echo $! > " + pidfile + "; wait"}});
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(
      PollUntil([&] { return !ReadFile(pidfile).empty(); }, absl::Seconds(10)));
  const pid_t grandchild = std::stoi(ReadFile(pidfile));
  ASSERT_TRUE((*child)->Terminate(absl::Seconds(5)).ok());
  EXPECT_FALSE((*child)->Running());
  EXPECT_TRUE(
      PollUntil([&] { return ::kill(grandchild, 0) != 0; }, absl::Seconds(10)));
}

TEST(SubprocessTest, WaitTimesOut) {
  auto child = Subprocess::Start({.argv = {"sleep", "300"}});
  ASSERT_TRUE(child.ok());
  EXPECT_EQ((*child)->Wait(absl::Milliseconds(100)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE((*child)->Running());
}

TEST(SubprocessTest, MissingProgramExits127) {
  auto child = Subprocess::Start({.argv = {"/nonexistent/program"}});
  ASSERT_TRUE(child.ok());
  absl::StatusOr<int> status = (*child)->Wait(absl::Seconds(10));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(WEXITSTATUS(*status), 127);
}

TEST(SubprocessTest, PickFreePortReturnsAUsablePort) {
  absl::StatusOr<int> port = PickFreePort();
  ASSERT_TRUE(port.ok()) << port.status();
  // Below the kernel's ephemeral range, where outgoing connections take
  // their local ports.
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int ephemeral = 0;
  ASSERT_TRUE(range >> ephemeral);
  if (ephemeral >= 11000) {
    EXPECT_GE(*port, 10000);
    EXPECT_LT(*port, ephemeral);
  }
  // Free: it can be bound again.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(*port));
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
}

}  // namespace
}  // namespace vnstream
