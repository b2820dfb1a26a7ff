#include "services/ingest/universe.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kafka/topics.h"
#include "libs/market/calendar.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace vnstream::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 11, 25, 8, 0),
                                        market::VietnamTime());

class FakeListing : public vnstock::ListingSource {
 public:
  absl::StatusOr<vnstock::Listing> FetchListing(absl::Time) override {
    if (!listing_error.ok()) return listing_error;
    return vnstock::Listing{
        .securities = securities, .source = v1::SOURCE_VCI, .fetched_at = kNow};
  }
  absl::StatusOr<std::vector<std::string>> FetchGroup(const std::string& group,
                                                      absl::Time) override {
    requested_groups.push_back(group);
    if (!group_error.ok()) return group_error;
    return groups[group];
  }

  void Add(const std::string& symbol, v1::Exchange exchange,
           v1::InstrumentType type = v1::INSTRUMENT_TYPE_STOCK) {
    securities.push_back({.symbol = symbol,
                          .exchange = exchange,
                          .type = type,
                          .name = symbol + " JSC",
                          .en_name = symbol + " Corp"});
  }
  void Remove(const std::string& symbol) {
    std::erase_if(securities, [&](const vnstock::ListedSecurity& s) {
      return s.symbol == symbol;
    });
  }

  std::vector<vnstock::ListedSecurity> securities;
  std::map<std::string, std::vector<std::string>> groups;
  absl::Status listing_error;
  absl::Status group_error;
  std::vector<std::string> requested_groups;
};

class FakeSink : public kafka::RecordSink {
 public:
  void Publish(kafka::OutgoingRecord record) override {
    EXPECT_EQ(record.topic, kafka::kInstrumentsTopic);
    v1::Instrument instrument;
    EXPECT_TRUE(instrument.ParseFromString(record.value));
    EXPECT_EQ(record.key, instrument.meta().symbol());
    published.push_back(std::move(instrument));
  }
  std::vector<v1::Instrument> Take() { return std::exchange(published, {}); }

  std::vector<v1::Instrument> published;
};

std::vector<std::string> Symbols(const std::vector<v1::Instrument>& records) {
  std::vector<std::string> out;
  for (const v1::Instrument& i : records) out.push_back(i.meta().symbol());
  return out;
}

class UniverseTest : public ::testing::Test {
 protected:
  UniverseTest() {
    source_.Add("FPT", v1::EXCHANGE_HOSE);
    source_.Add("E1VFVN30", v1::EXCHANGE_HOSE, v1::INSTRUMENT_TYPE_ETF);
    source_.Add("SHS", v1::EXCHANGE_HNX);
    source_.Add("ACV", v1::EXCHANGE_UPCOM);
    source_.Add("CFPT2401", v1::EXCHANGE_HOSE,
                v1::INSTRUMENT_TYPE_COVERED_WARRANT);
    source_.Add("XYZ", v1::EXCHANGE_UNSPECIFIED);
    source_.groups["VN30"] = {"FPT"};
    source_.groups["HNX30"] = {"SHS"};
    options_.instrument_groups = {"VN30", "HNX30"};
    options_.indices = {"VNINDEX", "UPCOMINDEX"};
    options_.now = [] { return kNow + absl::Seconds(1); };
  }

  std::unique_ptr<UniverseTracker> Make() {
    return std::make_unique<UniverseTracker>(options_, source_, sink_,
                                             registry_);
  }
  std::string Metrics() {
    return prometheus::TextSerializer().Serialize(registry_.Collect());
  }
  absl::Time Deadline() { return kNow + absl::Minutes(1); }

  UniverseOptions options_;
  FakeListing source_;
  FakeSink sink_;
  prometheus::Registry registry_;
};

TEST_F(UniverseTest, DiscoversStocksAndEtfsOfTheThreeExchanges) {
  std::unique_ptr<UniverseTracker> tracker = Make();
  absl::StatusOr<std::shared_ptr<const Universe>> universe =
      tracker->Refresh(Deadline());
  ASSERT_TRUE(universe.ok()) << universe.status();
  EXPECT_THAT((*universe)->securities,
              ElementsAre("ACV", "E1VFVN30", "FPT", "SHS"))
      << "not the covered warrant, not the unknown exchange";
  EXPECT_THAT((*universe)->indices, ElementsAre("VNINDEX", "UPCOMINDEX"));
  EXPECT_EQ((*universe)->TypeOf("E1VFVN30"), v1::INSTRUMENT_TYPE_ETF);
  EXPECT_EQ((*universe)->TypeOf("FPT"), v1::INSTRUMENT_TYPE_STOCK);
  EXPECT_EQ((*universe)->TypeOf("UPCOMINDEX"), v1::INSTRUMENT_TYPE_INDEX);
  EXPECT_THAT(source_.requested_groups, ElementsAre("HNX30", "VN30"));

  std::vector<v1::Instrument> records = sink_.Take();
  ASSERT_THAT(Symbols(records), ElementsAre("ACV", "E1VFVN30", "FPT", "SHS",
                                            "VNINDEX", "UPCOMINDEX"));
  const v1::Instrument& fpt = records[2];
  EXPECT_EQ(fpt.meta().seq(), 1u);
  EXPECT_EQ(fpt.meta().instrument_type(), v1::INSTRUMENT_TYPE_STOCK);
  EXPECT_EQ(fpt.meta().source(), v1::SOURCE_VCI);
  EXPECT_EQ(market::FromTimestamp(fpt.meta().fetched_at()), kNow);
  EXPECT_EQ(market::FromTimestamp(fpt.meta().published_at()),
            kNow + absl::Seconds(1));
  EXPECT_EQ(market::ToCivilDay(fpt.meta().trading_date()),
            absl::CivilDay(2026, 11, 25));
  EXPECT_EQ(fpt.exchange(), v1::EXCHANGE_HOSE);
  EXPECT_EQ(fpt.name(), "FPT JSC");
  EXPECT_EQ(fpt.en_name(), "FPT Corp");
  EXPECT_THAT(fpt.groups(), ElementsAre("VN30"));
  EXPECT_TRUE(fpt.listed());
  EXPECT_THAT(records[3].groups(), ElementsAre("HNX30"));
  EXPECT_EQ(records[1].meta().instrument_type(), v1::INSTRUMENT_TYPE_ETF);
  const v1::Instrument& upcom = records[5];
  EXPECT_EQ(upcom.meta().instrument_type(), v1::INSTRUMENT_TYPE_INDEX);
  EXPECT_EQ(upcom.exchange(), v1::EXCHANGE_UPCOM);
  EXPECT_EQ(upcom.name(), "UPCoM-Index");

  // Nothing changed: nothing published.
  ASSERT_TRUE(tracker->Refresh(Deadline()).ok());
  EXPECT_THAT(sink_.Take(), IsEmpty());
  EXPECT_THAT(
      Metrics(),
      HasSubstr(R"(vnstream_ingest_universe_refreshes_total{result="ok"} 2)"));
  EXPECT_THAT(
      Metrics(),
      HasSubstr(R"(vnstream_ingest_universe_symbols{kind="securities"} 4)"));
}

TEST_F(UniverseTest, NewChangedAndDelistedSymbols) {
  std::unique_ptr<UniverseTracker> tracker = Make();
  ASSERT_TRUE(tracker->Refresh(Deadline()).ok());
  sink_.Take();

  // A new listing, a name change, a group change, a delisting.
  source_.Add("VPX", v1::EXCHANGE_HOSE);
  source_.securities[0].name = "FPT Corporation JSC";
  source_.groups["VN30"] = {"FPT", "VPX"};
  source_.Remove("ACV");
  absl::StatusOr<std::shared_ptr<const Universe>> universe =
      tracker->Refresh(Deadline());
  ASSERT_TRUE(universe.ok()) << universe.status();
  EXPECT_THAT((*universe)->securities,
              ElementsAre("E1VFVN30", "FPT", "SHS", "VPX"));
  std::vector<v1::Instrument> records = sink_.Take();
  ASSERT_THAT(Symbols(records), ElementsAre("FPT", "VPX", "ACV"));
  EXPECT_EQ(records[0].name(), "FPT Corporation JSC");
  EXPECT_EQ(records[0].meta().seq(), 2u);
  EXPECT_EQ(records[1].meta().seq(), 1u);
  EXPECT_THAT(records[1].groups(), ElementsAre("VN30"));
  const v1::Instrument& acv = records[2];
  EXPECT_FALSE(acv.listed());
  EXPECT_EQ(acv.meta().seq(), 2u);
  EXPECT_EQ(acv.name(), "ACV JSC") << "the last known fields";
  EXPECT_EQ(acv.exchange(), v1::EXCHANGE_UPCOM);
  EXPECT_EQ(acv.meta().instrument_type(), v1::INSTRUMENT_TYPE_STOCK);

  // Delisted stays delisted (published once); relisting is a change.
  ASSERT_TRUE(tracker->Refresh(Deadline()).ok());
  EXPECT_THAT(sink_.Take(), IsEmpty());
  source_.Add("ACV", v1::EXCHANGE_UPCOM);
  universe = tracker->Refresh(Deadline());
  ASSERT_TRUE(universe.ok());
  EXPECT_THAT((*universe)->securities,
              ElementsAre("ACV", "E1VFVN30", "FPT", "SHS", "VPX"));
  records = sink_.Take();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].listed());
  EXPECT_EQ(records[0].meta().seq(), 3u);
  EXPECT_THAT(
      Metrics(),
      HasSubstr(
          R"(vnstream_ingest_instruments_published_total{change="delisted"} 1)"));
}

TEST_F(UniverseTest, BrokenListingsKeepTheUniverse) {
  options_.max_delistings = 1;
  std::unique_ptr<UniverseTracker> tracker = Make();
  ASSERT_TRUE(tracker->Refresh(Deadline()).ok());
  sink_.Take();

  source_.listing_error = absl::UnavailableError("HTTP 503");
  EXPECT_EQ(tracker->Refresh(Deadline()).status().code(),
            absl::StatusCode::kUnavailable);
  source_.listing_error = absl::OkStatus();

  const std::vector<vnstock::ListedSecurity> all = source_.securities;
  source_.securities.clear();
  EXPECT_THAT(tracker->Refresh(Deadline()).status().message(),
              HasSubstr("the listing is empty"));
  source_.securities = all;

  source_.groups["VN30"] = {};
  EXPECT_THAT(tracker->Refresh(Deadline()).status().message(),
              HasSubstr("group VN30 came back empty; FPT was in it"));
  source_.groups["VN30"] = {"FPT"};

  // Groups fetched only for labels: a failure keeps their members.
  source_.group_error = absl::PermissionDeniedError("HTTP 403");
  ASSERT_TRUE(tracker->Refresh(Deadline()).ok());
  EXPECT_THAT(sink_.Take(), IsEmpty()) << "FPT keeps VN30, SHS HNX30";
  source_.group_error = absl::OkStatus();

  source_.Remove("ACV");
  source_.Remove("SHS");
  EXPECT_THAT(tracker->Refresh(Deadline()).status().message(),
              HasSubstr("2 symbols would be delisted at once (ACV,SHS"));
  EXPECT_THAT(sink_.Take(), IsEmpty()) << "a refused refresh publishes nothing";
  const std::string metrics = Metrics();
  EXPECT_THAT(
      metrics,
      HasSubstr(
          R"(vnstream_ingest_universe_refreshes_total{result="failed"} 1)"));
  EXPECT_THAT(
      metrics,
      HasSubstr(
          R"(vnstream_ingest_universe_refreshes_total{result="refused"} 3)"));
  // One delisting at a time is normal.
  source_.Add("SHS", v1::EXCHANGE_HNX);
  ASSERT_TRUE(tracker->Refresh(Deadline()).ok());
  EXPECT_THAT(Symbols(sink_.Take()), ElementsAre("ACV"));
}

TEST_F(UniverseTest, FiltersByGroupAndExplicitList) {
  // VCI's mixed-case codes; published upper-case.
  source_.groups["VNMidCap"] = {"SHS", "ACV"};
  options_.groups = {"vn30", "VNMidCap"};
  options_.instrument_groups = {"VN30"};
  options_.indices = {};
  absl::StatusOr<std::shared_ptr<const Universe>> universe =
      Make()->Refresh(Deadline());
  ASSERT_TRUE(universe.ok());
  EXPECT_THAT((*universe)->securities, ElementsAre("ACV", "FPT", "SHS"));
  EXPECT_THAT(source_.requested_groups, ElementsAre("VN30", "VNMidCap"));
  std::vector<v1::Instrument> records = sink_.Take();
  ASSERT_THAT(Symbols(records), ElementsAre("ACV", "FPT", "SHS"));
  EXPECT_THAT(records[0].groups(), ElementsAre("VNMIDCAP"));
  EXPECT_THAT(records[1].groups(), ElementsAre("VN30"));

  // A filter group that fails fails the refresh.
  source_.group_error = absl::UnavailableError("HTTP 503");
  {
    FakeSink sink;
    prometheus::Registry registry;
    EXPECT_EQ(UniverseTracker(options_, source_, sink, registry)
                  .Refresh(Deadline())
                  .status()
                  .code(),
              absl::StatusCode::kUnavailable);
  }
  source_.group_error = absl::OkStatus();
  options_.groups = {"VN30"};
  options_.instrument_groups = {};

  // Explicit: exactly these, as far as VNStock lists them; the filters do
  // not apply (a covered warrant is fine).
  options_.symbols = {"SHS", "CFPT2401", "NOPE"};
  FakeSink sink;
  prometheus::Registry registry;
  UniverseTracker explicit_tracker(options_, source_, sink, registry);
  universe = explicit_tracker.Refresh(Deadline());
  ASSERT_TRUE(universe.ok());
  EXPECT_THAT((*universe)->securities, ElementsAre("CFPT2401", "SHS"));
  EXPECT_EQ((*universe)->TypeOf("CFPT2401"),
            v1::INSTRUMENT_TYPE_COVERED_WARRANT);
}

TEST_F(UniverseTest, RecoveredStateContinuesSequencesAndServesAsFallback) {
  auto instrument = [](const std::string& symbol, uint64_t seq, bool listed,
                       v1::Exchange exchange) {
    v1::Instrument i;
    i.mutable_meta()->set_symbol(symbol);
    i.mutable_meta()->set_seq(seq);
    i.mutable_meta()->set_instrument_type(v1::INSTRUMENT_TYPE_STOCK);
    i.set_exchange(exchange);
    i.set_name(symbol + " JSC");
    i.set_en_name(symbol + " Corp");
    i.set_listed(listed);
    return i;
  };
  std::unique_ptr<UniverseTracker> tracker = Make();
  v1::Instrument fpt = instrument("FPT", 7, true, v1::EXCHANGE_HOSE);
  fpt.add_groups("VN30");
  tracker->Recover(fpt);
  tracker->Recover(instrument("FPT", 3, false, v1::EXCHANGE_HOSE));  // Older.
  tracker->Recover(instrument("OLD", 4, false, v1::EXCHANGE_HOSE));
  tracker->Recover(instrument("ACV", 2, true, v1::EXCHANGE_UPCOM));
  tracker->Recover(instrument("CW1", 1, true, v1::EXCHANGE_HOSE));
  v1::Instrument cw = instrument("CW2", 1, true, v1::EXCHANGE_HOSE);
  cw.mutable_meta()->set_instrument_type(v1::INSTRUMENT_TYPE_COVERED_WARRANT);
  tracker->Recover(cw);

  // The listing is down at start-up: poll what Kafka knows.
  std::shared_ptr<const Universe> recovered = tracker->Recovered();
  EXPECT_THAT(recovered->securities, ElementsAre("ACV", "CW1", "FPT"));
  EXPECT_EQ(recovered->TypeOf("FPT"), v1::INSTRUMENT_TYPE_STOCK);

  ASSERT_TRUE(tracker->Refresh(Deadline()).ok());
  std::vector<v1::Instrument> records = sink_.Take();
  // FPT and ACV are unchanged; CW1 and CW2 are gone from the listing.
  EXPECT_THAT(Symbols(records), ElementsAre("E1VFVN30", "SHS", "VNINDEX",
                                            "UPCOMINDEX", "CW1", "CW2"));
  EXPECT_FALSE(records[4].listed());
  EXPECT_EQ(records[4].meta().seq(), 2u);
}

}  // namespace
}  // namespace vnstream::ingest
