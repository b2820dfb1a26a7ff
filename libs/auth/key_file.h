// The API keys file: who may call the gateway, and what each may do. YAML
// (a Kubernetes Secret in deploy/k8s), written by vnstream-keys; it holds
// no key, only each key's salt and hash (see api_key.h):
//
//   groups:                  # named symbol lists keys may refer to
//     banks: [VCB, BID, CTG]
//   keys:
//     - name: alice          # the identity: metrics label, quota owner
//       id: 1f0c9a4b7e2d5c63
//       salt: <32 hex digits>
//       hash: <64 hex digits>
//       created: "2025-11-30T09:00:00Z"
//       revoked: false
//       rpcs: ["*"]          # or method names: [GetQuotes, SubscribeQuotes]
//       symbols: ["*"]       # or tickers and groups: [FPT, "group:banks"]
//       max_streams: 10
//       max_symbols_per_subscription: 100
//       unary_per_second: 10
//       fallback_per_minute: 10
//
// Every setting of a key is required (a file says what it grants); unknown
// settings, unknown RPC names, malformed tickers, unknown groups, repeated
// ids and two active keys with one name are errors naming the key (a name
// can get a new key once its old one is revoked).
#ifndef VNSTREAM_LIBS_AUTH_KEY_FILE_H_
#define VNSTREAM_LIBS_AUTH_KEY_FILE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vnstream::auth {

struct Entitlements {
  // Methods of vnstream.v1.MarketDataService ("GetQuotes"), or "*" for all.
  std::vector<std::string> rpcs;
  // Tickers, "group:NAME" for a group of the file, or "*" for all.
  std::vector<std::string> symbols;
  // Open streams of the identity, over all its connections.
  int max_streams = 10;
  // Symbols in one subscription (or one multi-symbol unary call).
  int max_symbols_per_subscription = 100;
  // Unary calls per second; bursts of one second's worth (at least 1).
  double unary_per_second = 10;
  // VNStock fallback fetches per minute made for the identity; bursts of a
  // minute's worth (at least 1).
  double fallback_per_minute = 10;
};

struct KeyRecord {
  // The identity: lower-case letters, digits, '.', '_', '-'; 1-64. At most
  // one active key per name.
  std::string name;
  // kKeyIdHexDigits lower-case hex digits, unique in the file.
  std::string id;
  // Raw bytes (hex in the file).
  std::string salt;
  std::string hash;
  // When the key was made (RFC 3339); informational.
  std::string created;
  // A revoked key is refused (UNAUTHENTICATED) but kept for the record.
  bool revoked = false;
  Entitlements entitlements;
};

struct KeyFile {
  std::map<std::string, std::vector<std::string>> groups;
  std::vector<KeyRecord> keys;
};

// The method names of vnstream.v1.MarketDataService, from its descriptor.
const std::vector<std::string>& ApiMethods();

// Parses and validates; `origin` names the file in errors.
absl::StatusOr<KeyFile> ParseKeyFile(absl::string_view yaml,
                                     absl::string_view origin);
// The checks ParseKeyFile makes, for a file built in code.
absl::Status ValidateKeyFile(const KeyFile& file);
// YAML that ParseKeyFile reads back to an equal KeyFile.
std::string FormatKeyFile(const KeyFile& file);

// Reads and parses `path`.
absl::StatusOr<KeyFile> ReadKeyFile(const std::string& path);
// Validates and writes `path` atomically (a temporary file renamed over
// it, so a reader never sees half a file), readable by the owner only.
absl::Status WriteKeyFile(const std::string& path, const KeyFile& file);

}  // namespace vnstream::auth

#endif  // VNSTREAM_LIBS_AUTH_KEY_FILE_H_
