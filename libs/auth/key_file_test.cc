#include "libs/auth/key_file.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/auth/api_key.h"

namespace vnstream::auth {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

KeyRecord Record(const std::string& name) {
  absl::StatusOr<NewKey> key = GenerateKey();
  EXPECT_TRUE(key.ok());
  return {.name = name,
          .id = key->id,
          .salt = key->salt,
          .hash = key->hash,
          .created = "2025-11-30T09:00:00Z",
          .entitlements = {.rpcs = {"GetQuotes", "SubscribeQuotes"},
                           .symbols = {"FPT", "group:banks"},
                           .max_streams = 3,
                           .max_symbols_per_subscription = 20,
                           .unary_per_second = 2.5,
                           .fallback_per_minute = 6}};
}

KeyFile Sample() {
  KeyFile file;
  file.groups["banks"] = {"VCB", "BID"};
  file.keys.push_back(Record("alice"));
  KeyRecord all = Record("dashboard");
  all.entitlements.rpcs = {"*"};
  all.entitlements.symbols = {"*"};
  all.revoked = true;
  file.keys.push_back(all);
  return file;
}

void ExpectEqual(const KeyFile& a, const KeyFile& b) {
  EXPECT_EQ(a.groups, b.groups);
  ASSERT_EQ(a.keys.size(), b.keys.size());
  for (size_t i = 0; i < a.keys.size(); ++i) {
    const KeyRecord& x = a.keys[i];
    const KeyRecord& y = b.keys[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.salt, y.salt);
    EXPECT_EQ(x.hash, y.hash);
    EXPECT_EQ(x.created, y.created);
    EXPECT_EQ(x.revoked, y.revoked);
    EXPECT_EQ(x.entitlements.rpcs, y.entitlements.rpcs);
    EXPECT_EQ(x.entitlements.symbols, y.entitlements.symbols);
    EXPECT_EQ(x.entitlements.max_streams, y.entitlements.max_streams);
    EXPECT_EQ(x.entitlements.max_symbols_per_subscription,
              y.entitlements.max_symbols_per_subscription);
    EXPECT_EQ(x.entitlements.unary_per_second, y.entitlements.unary_per_second);
    EXPECT_EQ(x.entitlements.fallback_per_minute,
              y.entitlements.fallback_per_minute);
  }
}

TEST(KeyFileTest, ApiMethodsComeFromTheProto) {
  EXPECT_THAT(ApiMethods(), Contains("GetQuotes"));
  EXPECT_THAT(ApiMethods(), Contains("SubscribeQuotes"));
  EXPECT_THAT(ApiMethods(), Contains("MarketDataStream"));
}

TEST(KeyFileTest, FormatParsesBackToTheSameFile) {
  const KeyFile file = Sample();
  const std::string yaml = FormatKeyFile(file);
  absl::StatusOr<KeyFile> parsed = ParseKeyFile(yaml, "test");
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << yaml;
  ExpectEqual(file, *parsed);
}

TEST(KeyFileTest, EmptyFileHasNoKeys) {
  absl::StatusOr<KeyFile> parsed = ParseKeyFile("", "empty");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->keys.empty());
  ASSERT_TRUE(ParseKeyFile("groups: {}\nkeys: []\n", "x").ok());
}

TEST(KeyFileTest, MistakesAreErrorsNamingTheKey) {
  const std::string good = FormatKeyFile(Sample());
  struct Case {
    std::string from, to, error;
  };
  for (const Case& c : std::vector<Case>{
           {"rpcs: [GetQuotes", "rpcs: [GetQuote",
            "'GetQuote' is not a method"},
           {"symbols: [FPT", "symbols: [fpt", "'fpt' is not an upper-case"},
           {"group:banks", "group:nobanks", "no group:nobanks in groups"},
           {"max_streams: 3", "max_streams: -1", ">= 0"},
           {"max_streams: 3", "max_streams: many", "bad conversion"},
           {"max_streams: 3", "max_stream: 3", "unknown setting 'max_stream'"},
           {"name: alice", "name: Alice", "name: 1-64"},
           {"unary_per_second: 2.5\n    ", "", "'unary_per_second' is missing"},
           {"groups:", "groupz:", "unknown section 'groupz'"},
       }) {
    SCOPED_TRACE(c.to);
    std::string yaml = good;
    const size_t at = yaml.find(c.from);
    ASSERT_NE(at, std::string::npos);
    yaml.replace(at, c.from.size(), c.to);
    absl::StatusOr<KeyFile> parsed = ParseKeyFile(yaml, "keys.yaml");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr("keys.yaml"));
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.error));
  }
  KeyFile same_name = Sample();
  same_name.keys[1].name = "alice";  // Revoked: fine.
  EXPECT_TRUE(ValidateKeyFile(same_name).ok());
  same_name.keys[1].revoked = false;
  EXPECT_THAT(ValidateKeyFile(same_name).message(),
              HasSubstr("another active key has this name"));
  KeyFile twice = Sample();
  twice.keys[1].id = twice.keys[0].id;
  EXPECT_THAT(ValidateKeyFile(twice).message(),
              HasSubstr("another key has this id"));
}

TEST(KeyFileTest, WriteIsAtomicAndOwnerOnly) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = absl::StrCat(tmp ? tmp : "/tmp", "/keys.yaml");
  const KeyFile file = Sample();
  ASSERT_TRUE(WriteKeyFile(path, file).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  absl::StatusOr<KeyFile> read = ReadKeyFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectEqual(file, *read);
  struct stat tmp_st;
  EXPECT_NE(::stat((path + ".tmp").c_str(), &tmp_st), 0) << "no leftover";
  KeyFile bad = Sample();
  bad.keys[0].name = "";
  EXPECT_FALSE(WriteKeyFile(path, bad).ok());
  EXPECT_TRUE(ReadKeyFile(path).ok()) << "a refused write leaves the file";
  EXPECT_EQ(ReadKeyFile(path + ".missing").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace vnstream::auth
