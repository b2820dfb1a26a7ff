// vnstream-keys: creates and revokes the gateway's API keys (see
// libs/auth/key_file.h for the file; the gateway re-reads it within
// seconds, no restart).
//
//   vnstream-keys create --file=keys.yaml --name=alice --rpcs='*'
//       --symbols=FPT,VCB,group:banks [--max_streams=10] ...
//     prints the key, once, on stdout; the file gets only its hash
//   vnstream-keys revoke --file=keys.yaml --name=alice
//   vnstream-keys group  --file=keys.yaml --name=banks --symbols=VCB,BID,CTG
//   vnstream-keys list   --file=keys.yaml
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/auth/api_key.h"
#include "libs/auth/key_file.h"
#include "libs/base/config.h"
#include "libs/market/exchange.h"

ABSL_FLAG(std::string, file, "", "The keys file (created if missing).");
ABSL_FLAG(std::string, name, "", "The key's (or group's) name.");
ABSL_FLAG(std::vector<std::string>, rpcs, {},
          "create: MarketDataService methods the key may call, or '*'.");
ABSL_FLAG(std::vector<std::string>, symbols, {},
          "create: tickers, group:NAME or '*'; group: the group's tickers.");
ABSL_FLAG(int, max_streams, 10, "create: open streams of the identity.");
ABSL_FLAG(int, max_symbols_per_subscription, 100,
          "create: symbols in one subscription.");
ABSL_FLAG(double, unary_per_second, 10, "create: unary calls per second.");
ABSL_FLAG(double, fallback_per_minute, 10,
          "create: VNStock fallback fetches per minute.");

namespace vnstream::auth {
namespace {

constexpr char kUsage[] =
    "vnstream-keys create|revoke|group|list --file=keys.yaml [--name=NAME] "
    "[--rpcs=M,...] [--symbols=S,...] [--max_streams=N] "
    "[--max_symbols_per_subscription=N] [--unary_per_second=R] "
    "[--fallback_per_minute=R]";

int Fail(const std::string& message) {
  std::cerr << "vnstream-keys: " << message << std::endl;
  return 1;
}

int Main(int argc, char** argv) {
  std::vector<char*> args = ParseConfig(argc, argv, kUsage);
  const std::string path = absl::GetFlag(FLAGS_file);
  const std::string name = absl::GetFlag(FLAGS_name);
  if (args.size() != 2 || path.empty()) {
    std::cerr << "usage: " << kUsage << std::endl;
    return 2;
  }
  const std::string command = args[1];
  absl::StatusOr<KeyFile> file = ReadKeyFile(path);
  if (absl::IsNotFound(file.status()) && command != "list") {
    file = KeyFile();  // A new file.
  }
  if (!file.ok()) return Fail(std::string(file.status().message()));

  if (command == "list") {
    for (const KeyRecord& key : file->keys) {
      const Entitlements& e = key.entitlements;
      std::cout << key.name << "\tid " << key.id << "\t"
                << (key.revoked ? "REVOKED" : "active") << "\trpcs "
                << absl::StrJoin(e.rpcs, ",") << "\tsymbols "
                << absl::StrJoin(e.symbols, ",") << "\tstreams "
                << e.max_streams << "\tsymbols/subscription "
                << e.max_symbols_per_subscription << "\tunary/s "
                << e.unary_per_second << "\tfallback/min "
                << e.fallback_per_minute << "\tcreated " << key.created << "\n";
    }
    for (const auto& [group, members] : file->groups) {
      std::cout << "group:" << group << "\t" << absl::StrJoin(members, ",")
                << "\n";
    }
    return 0;
  }
  if (name.empty()) return Fail("--name is required");

  if (command == "create") {
    Entitlements e{
        .rpcs = absl::GetFlag(FLAGS_rpcs),
        .symbols = absl::GetFlag(FLAGS_symbols),
        .max_streams = absl::GetFlag(FLAGS_max_streams),
        .max_symbols_per_subscription =
            absl::GetFlag(FLAGS_max_symbols_per_subscription),
        .unary_per_second = absl::GetFlag(FLAGS_unary_per_second),
        .fallback_per_minute = absl::GetFlag(FLAGS_fallback_per_minute)};
    if (e.rpcs.empty() || e.symbols.empty()) {
      return Fail(
          "say what the key grants: --rpcs and --symbols ('*' for all)");
    }
    absl::StatusOr<NewKey> key = GenerateKey();
    if (!key.ok()) return Fail(std::string(key.status().message()));
    file->keys.push_back(
        {.name = name,
         .id = key->id,
         .salt = key->salt,
         .hash = key->hash,
         .created = absl::FormatTime(absl::RFC3339_sec, absl::Now(),
                                     absl::UTCTimeZone()),
         .entitlements = std::move(e)});
    if (absl::Status s = WriteKeyFile(path, *file); !s.ok()) {
      return Fail(std::string(s.message()));
    }
    std::cerr << "API key of '" << name << "' (id " << key->id
              << "): shown once, store it now; " << path
              << " holds only its hash" << std::endl;
    std::cout << key->key << std::endl;
    return 0;
  }
  if (command == "revoke") {
    bool found = false;
    for (KeyRecord& key : file->keys) {
      if (key.name == name) {
        key.revoked = true;
        found = true;
      }
    }
    if (!found) return Fail("no key named '" + name + "'");
    if (absl::Status s = WriteKeyFile(path, *file); !s.ok()) {
      return Fail(std::string(s.message()));
    }
    std::cerr << "revoked '" << name << "'" << std::endl;
    return 0;
  }
  if (command == "group") {
    std::vector<std::string> symbols;
    for (const std::string& s : absl::GetFlag(FLAGS_symbols)) {
      symbols.push_back(market::NormalizeSymbol(s));
    }
    file->groups[name] = symbols;
    if (absl::Status s = WriteKeyFile(path, *file); !s.ok()) {
      return Fail(std::string(s.message()));
    }
    return 0;
  }
  std::cerr << "usage: " << kUsage << std::endl;
  return 2;
}

}  // namespace
}  // namespace vnstream::auth

int main(int argc, char** argv) { return vnstream::auth::Main(argc, argv); }
