#include "services/ingest/universe.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/base/logging.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "libs/market/instruments.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace vnstream::ingest {
namespace {

using ::google::protobuf::util::MessageDifferencer;

// Instrument fields compared for change detection: everything but the
// record metadata, plus the instrument type.
v1::Instrument Comparable(const v1::Instrument& instrument) {
  v1::Instrument out = instrument;
  const v1::InstrumentType type = out.meta().instrument_type();
  out.clear_meta();
  out.mutable_meta()->set_instrument_type(type);
  return out;
}

// Groups are published and compared upper-case ("VNMIDCAP"): the gateway
// filters ListSymbols by upper-cased group names, and VCI's codes differ
// in case between endpoints (getByGroup "VNMidCap", chart "VNMIDCAP").
std::string GroupName(absl::string_view vci_code) {
  return absl::AsciiStrToUpper(vci_code);
}

template <typename T>
bool Contains(const std::vector<T>& items, const T& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace

UniverseTracker::UniverseTracker(UniverseOptions options,
                                 vnstock::ListingSource& source,
                                 kafka::RecordSink& sink,
                                 prometheus::Registry& registry)
    : options_(std::move(options)),
      source_(source),
      sink_(sink),
      refreshes_(prometheus::BuildCounter()
                     .Name("vnstream_ingest_universe_refreshes_total")
                     .Help("Universe refreshes from VNStock's listing by "
                           "result (ok, failed, refused: looked broken).")
                     .Register(registry)),
      symbols_(prometheus::BuildGauge()
                   .Name("vnstream_ingest_universe_symbols")
                   .Help("Symbols polled, by kind (securities, indices).")
                   .Register(registry)),
      published_(prometheus::BuildCounter()
                     .Name("vnstream_ingest_instruments_published_total")
                     .Help("Instrument records published, by change (new, "
                           "changed, delisted).")
                     .Register(registry)) {
  for (const char* result : {"ok", "failed", "refused"}) {
    refreshes_.Add({{"result", result}});
  }
}

void UniverseTracker::Recover(const v1::Instrument& instrument) {
  absl::MutexLock lock(&mu_);
  Known& known = known_[instrument.meta().symbol()];
  if (instrument.meta().seq() > known.seq) {
    known.seq = instrument.meta().seq();
    known.last = Comparable(instrument);
  }
}

std::shared_ptr<const Universe> UniverseTracker::MakeUniverse(
    std::vector<std::string> securities) const {
  auto universe = std::make_shared<Universe>();
  std::sort(securities.begin(), securities.end());
  universe->securities = std::move(securities);
  universe->indices = options_.indices;
  for (const std::string& symbol : universe->securities) {
    auto it = known_.find(symbol);
    if (it != known_.end()) {
      universe->types[symbol] = it->second.last.meta().instrument_type();
    }
  }
  for (const std::string& symbol : universe->indices) {
    universe->types[symbol] = v1::INSTRUMENT_TYPE_INDEX;
  }
  symbols_.Add({{"kind", "securities"}})
      .Set(static_cast<double>(universe->securities.size()));
  symbols_.Add({{"kind", "indices"}})
      .Set(static_cast<double>(universe->indices.size()));
  return universe;
}

std::shared_ptr<const Universe> UniverseTracker::Recovered() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> securities;
  if (!options_.symbols.empty()) {
    securities = options_.symbols;
  } else {
    for (const auto& [symbol, known] : known_) {
      const v1::Instrument& i = known.last;
      if (!i.listed() ||
          i.meta().instrument_type() == v1::INSTRUMENT_TYPE_INDEX) {
        continue;
      }
      const vnstock::ListedSecurity security = {
          .symbol = symbol,
          .exchange = i.exchange(),
          .type = i.meta().instrument_type()};
      absl::flat_hash_set<std::string> members;
      if (!options_.groups.empty()) {
        for (const std::string& group : i.groups()) members.insert(group);
      }
      if (Selected(security, members)) securities.push_back(symbol);
    }
  }
  return MakeUniverse(std::move(securities));
}

bool UniverseTracker::Selected(
    const vnstock::ListedSecurity& security,
    const absl::flat_hash_set<std::string>& groups_of_symbol) const {
  if (!Contains(options_.exchanges, security.exchange) ||
      !Contains(options_.types, security.type)) {
    return false;
  }
  if (options_.groups.empty()) return true;
  return std::any_of(options_.groups.begin(), options_.groups.end(),
                     [&](const std::string& g) {
                       return groups_of_symbol.contains(GroupName(g));
                     });
}

void UniverseTracker::PublishIfChanged(v1::Instrument instrument,
                                       const v1::RecordMeta& meta) {
  Known& known = known_[meta.symbol()];
  *instrument.mutable_meta() = meta;
  const v1::Instrument comparable = Comparable(instrument);
  const bool is_new = known.seq == 0;
  if (!is_new && MessageDifferencer::Equals(comparable, known.last)) return;
  const char* change = is_new                 ? "new"
                       : !instrument.listed() ? "delisted"
                                              : "changed";
  instrument.mutable_meta()->set_seq(++known.seq);
  *instrument.mutable_meta()->mutable_published_at() =
      market::ToTimestamp(options_.now());
  known.last = comparable;
  spdlog::info("instrument {} ({}): {} {} listed={} groups [{}]", meta.symbol(),
               change, market::InstrumentTypeName(meta.instrument_type()),
               instrument.name(), instrument.listed(),
               absl::StrJoin(instrument.groups(), ","));
  sink_.Publish(kafka::EncodeRecord(kafka::kInstrumentsTopic, instrument,
                                    instrument.meta()));
  published_.Add({{"change", change}}).Increment();
}

absl::StatusOr<std::shared_ptr<const Universe>> UniverseTracker::Refresh(
    absl::Time deadline) {
  absl::MutexLock lock(&refresh_mu_);
  return RefreshLocked(deadline);
}

absl::StatusOr<std::shared_ptr<const Universe>> UniverseTracker::RefreshLocked(
    absl::Time deadline) {
  auto fail = [&](const char* result, absl::Status status) {
    refreshes_.Add({{"result", result}}).Increment();
    spdlog::error("universe refresh {}: {}; keeping the current universe",
                  result, status);
    return status;
  };
  absl::StatusOr<vnstock::Listing> listing = source_.FetchListing(deadline);
  if (!listing.ok()) return fail("failed", listing.status());
  for (size_t i = 0; i < std::min<size_t>(listing->rejected.size(), 5); ++i) {
    spdlog::warn("listing: dropped entry: {}", listing->rejected[i]);
  }
  if (listing->securities.empty()) {
    return fail("refused", absl::UnavailableError("the listing is empty"));
  }

  // Group members, by symbol. A filter group must answer (the selection
  // depends on it); a group fetched only to label instruments keeps its
  // previous members when it fails.
  std::map<std::string, std::string> group_codes;  // Name -> VCI code.
  for (const std::string& g : options_.instrument_groups) {
    group_codes.emplace(GroupName(g), g);
  }
  for (const std::string& g : options_.groups)
    group_codes.emplace(GroupName(g), g);
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> groups_of;
  std::map<std::string, size_t> group_sizes;
  std::vector<std::string> unanswered;
  for (const auto& [group_name, code] : group_codes) {
    // A plain variable for the lambda below: clang 14 does not implement
    // capturing structured bindings (C++20, P1091R3).
    const std::string& group = group_name;
    absl::StatusOr<std::vector<std::string>> members =
        source_.FetchGroup(code, deadline);
    if (!members.ok()) {
      const bool filter = std::any_of(
          options_.groups.begin(), options_.groups.end(),
          [&](const std::string& g) { return GroupName(g) == group; });
      if (filter) return fail("failed", members.status());
      spdlog::warn("universe: group {} unavailable, keeping its members: {}",
                   code, members.status());
      unanswered.push_back(group);
      continue;
    }
    group_sizes[group] = members->size();
    for (const std::string& symbol : *members) groups_of[symbol].insert(group);
  }

  const v1::Date trading_date = market::ToDate(
      absl::ToCivilDay(listing->fetched_at, market::VietnamTime()));
  auto meta_of = [&](const std::string& symbol, v1::InstrumentType type) {
    v1::RecordMeta meta;
    meta.set_symbol(symbol);
    meta.set_source(listing->source);
    meta.set_instrument_type(type);
    *meta.mutable_fetched_at() = market::ToTimestamp(listing->fetched_at);
    *meta.mutable_trading_date() = trading_date;
    return meta;
  };

  absl::MutexLock lock(&mu_);
  for (const std::string& group : unanswered) {
    for (const auto& [symbol, known] : known_) {
      const auto& groups = known.last.groups();
      if (std::find(groups.begin(), groups.end(), group) != groups.end()) {
        groups_of[symbol].insert(group);
      }
    }
  }
  // A group that had members and now has none is a broken answer.
  for (const auto& [group, size] : group_sizes) {
    if (size > 0) continue;
    for (const auto& [symbol, known] : known_) {
      const auto& groups = known.last.groups();
      if (known.last.listed() &&
          std::find(groups.begin(), groups.end(), group) != groups.end()) {
        return fail("refused", absl::UnavailableError(absl::StrCat(
                                   "group ", group, " came back empty; ",
                                   symbol, " was in it")));
      }
    }
  }

  absl::flat_hash_map<std::string, const vnstock::ListedSecurity*> listed;
  for (const vnstock::ListedSecurity& security : listing->securities) {
    listed[security.symbol] = &security;
  }
  // Symbols that were listed (indices aside) and are gone.
  std::vector<std::string> delisted;
  for (const auto& [symbol, known] : known_) {
    if (known.last.listed() &&
        known.last.meta().instrument_type() != v1::INSTRUMENT_TYPE_INDEX &&
        !listed.contains(symbol)) {
      delisted.push_back(symbol);
    }
  }
  std::sort(delisted.begin(), delisted.end());
  if (static_cast<int>(delisted.size()) > options_.max_delistings) {
    return fail(
        "refused",
        absl::UnavailableError(absl::StrCat(
            delisted.size(), " symbols would be delisted at once (",
            absl::StrJoin(
                delisted.begin(),
                delisted.begin() + std::min<size_t>(10, delisted.size()), ","),
            ", ...), more than universe_max_delistings = ",
            options_.max_delistings)));
  }

  std::vector<std::string> securities;
  auto instrument_of = [&](const vnstock::ListedSecurity& security) {
    v1::Instrument instrument;
    instrument.set_exchange(security.exchange);
    instrument.set_name(security.name);
    instrument.set_en_name(security.en_name);
    auto groups = groups_of.find(security.symbol);
    if (groups != groups_of.end()) {
      std::vector<std::string> sorted(groups->second.begin(),
                                      groups->second.end());
      std::sort(sorted.begin(), sorted.end());
      for (std::string& g : sorted) instrument.add_groups(std::move(g));
    }
    instrument.set_listed(true);
    return instrument;
  };
  if (!options_.symbols.empty()) {
    for (const std::string& symbol : options_.symbols) {
      auto it = listed.find(symbol);
      if (it == listed.end()) {
        if (warned_.insert(symbol).second) {
          spdlog::warn("symbols: {} is not listed by VNStock; not polled",
                       symbol);
        }
        continue;
      }
      securities.push_back(symbol);
    }
  } else {
    for (const vnstock::ListedSecurity& security : listing->securities) {
      if (security.type == v1::INSTRUMENT_TYPE_INDEX) continue;
      static const absl::flat_hash_set<std::string> kNone;
      auto groups = groups_of.find(security.symbol);
      if (Selected(security,
                   groups != groups_of.end() ? groups->second : kNone)) {
        securities.push_back(security.symbol);
      }
    }
  }
  std::sort(securities.begin(), securities.end());
  for (const std::string& symbol : securities) {
    const vnstock::ListedSecurity& security = *listed.at(symbol);
    PublishIfChanged(instrument_of(security), meta_of(symbol, security.type));
  }
  for (const std::string& symbol : options_.indices) {
    const market::MarketIndex* index = market::FindIndex(symbol);
    v1::Instrument instrument;
    instrument.set_exchange(index->exchange);
    // The listing has no indices; vnstock-sim lists its simulated ones so
    // their names say so.
    auto it = listed.find(symbol);
    const bool named = it != listed.end() &&
                       it->second->type == v1::INSTRUMENT_TYPE_INDEX &&
                       !it->second->name.empty();
    instrument.set_name(named ? it->second->name : std::string(index->name));
    instrument.set_en_name(named ? it->second->en_name
                                 : std::string(index->name));
    instrument.set_listed(true);
    PublishIfChanged(std::move(instrument),
                     meta_of(symbol, v1::INSTRUMENT_TYPE_INDEX));
  }
  for (const std::string& symbol : delisted) {
    const Known& known = known_.at(symbol);
    v1::Instrument instrument = known.last;
    instrument.set_listed(false);
    PublishIfChanged(std::move(instrument),
                     meta_of(symbol, known.last.meta().instrument_type()));
  }
  refreshes_.Add({{"result", "ok"}}).Increment();
  std::shared_ptr<const Universe> universe =
      MakeUniverse(std::move(securities));
  spdlog::info(
      "universe: {} securities ({}), {} indices; {} listed by VNStock, {} "
      "delisted now",
      universe->securities.size(),
      options_.symbols.empty() ? "discovered" : "explicit list",
      universe->indices.size(), listing->securities.size(), delisted.size());
  return universe;
}

}  // namespace vnstream::ingest
