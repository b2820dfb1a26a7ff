// vnstream-keys as an operator runs it: create prints a key that the
// gateway's Authenticator accepts while the file holds only its hash;
// revoke makes it refused; mistakes leave the file as it was.
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/auth/authenticator.h"
#include "libs/auth/key_file.h"
#include "libs/base/subprocess.h"
#include "tests/support/kafka_environment.h"
#include "tests/support/service_process.h"

namespace vnstream::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs vnstream-keys; returns (exit code, stdout, stderr).
struct Result {
  int code;
  std::string out;
  std::string err;
};
Result Keys(const std::vector<std::string>& args) {
  static int n = 0;
  const std::string out = testing::TestTempPath(absl::StrCat("out-", ++n));
  const std::string err = out + ".err";
  std::vector<std::string> argv = {
      "bash", "-c", "\"$0\" \"$@\" >\"$OUT\" 2>\"$ERR\"",
      testing::Runfile("tools/keys/vnstream-keys")};
  argv.insert(argv.end(), args.begin(), args.end());
  auto process =
      Subprocess::Start({.argv = argv, .env = {{"OUT", out}, {"ERR", err}}});
  EXPECT_TRUE(process.ok());
  absl::StatusOr<int> status = (*process)->Wait(absl::Seconds(30));
  EXPECT_TRUE(status.ok());
  return {WEXITSTATUS(*status), Read(out), Read(err)};
}

TEST(KeysToolTest, CreateRevokeGroupList) {
  const std::string file = testing::TestTempPath("keys.yaml");
  const std::string flag = "--file=" + file;
  Result group = Keys({"group", flag, "--name=banks", "--symbols=vcb,BID"});
  ASSERT_EQ(group.code, 0) << group.err;
  Result create =
      Keys({"create", flag, "--name=alice", "--rpcs=GetQuotes,SubscribeQuotes",
            "--symbols=FPT,group:banks", "--max_streams=3"});
  ASSERT_EQ(create.code, 0) << create.err;
  const std::string key(absl::StripAsciiWhitespace(create.out));
  ASSERT_TRUE(absl::StartsWith(key, "vns_")) << create.out;
  EXPECT_THAT(create.err, HasSubstr("shown once"));
  EXPECT_THAT(Read(file), Not(HasSubstr(key.substr(21)))) << "no secret";

  absl::StatusOr<KeyFile> parsed = ReadKeyFile(file);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->keys.size(), 1u);
  EXPECT_EQ(parsed->keys[0].entitlements.max_streams, 3);
  EXPECT_EQ(parsed->groups.at("banks"),
            (std::vector<std::string>{"VCB", "BID"}));

  absl::StatusOr<std::unique_ptr<Authenticator>> auth =
      Authenticator::Create({.keys_file = file}, nullptr);
  ASSERT_TRUE(auth.ok()) << auth.status();
  absl::StatusOr<CallerPtr> caller =
      (*auth)->AuthorizeBearer("Bearer " + key, "GetQuotes", true, absl::Now());
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_TRUE((*caller)->CheckSymbols({"FPT", "VCB", "BID"}).ok());

  // Mistakes change nothing.
  EXPECT_NE(
      Keys({"create", flag, "--name=alice", "--rpcs=*", "--symbols=*"}).code, 0)
      << "alice has an active key";
  EXPECT_NE(
      Keys({"create", flag, "--name=bob", "--rpcs=GetQuote", "--symbols=*"})
          .code,
      0);
  EXPECT_NE(Keys({"create", flag, "--name=bob"}).code, 0) << "grants nothing";
  EXPECT_NE(Keys({"revoke", flag, "--name=nobody"}).code, 0);
  EXPECT_EQ(ReadKeyFile(file)->keys.size(), 1u);

  Result list = Keys({"list", flag});
  EXPECT_EQ(list.code, 0);
  EXPECT_THAT(list.out, HasSubstr("alice\tid "));
  EXPECT_THAT(list.out, HasSubstr("active"));
  EXPECT_THAT(list.out, HasSubstr("group:banks\tVCB,BID"));

  ASSERT_EQ(Keys({"revoke", flag, "--name=alice"}).code, 0);
  ASSERT_TRUE((*auth)->Reload().ok());
  EXPECT_EQ(
      (*auth)
          ->AuthorizeBearer("Bearer " + key, "GetQuotes", true, absl::Now())
          .status()
          .code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(Keys({"list", flag}).out, HasSubstr("REVOKED"));
  // A revoked name gets a new key.
  Result again =
      Keys({"create", flag, "--name=alice", "--rpcs=*", "--symbols=*"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(absl::StripAsciiWhitespace(again.out), key);
}

}  // namespace
}  // namespace vnstream::auth
