// Walking-skeleton smoke test: protobuf records through a real Kafka broker
// with the producer settings every vnstream producer uses (idempotent,
// acks=all, key = symbol), consumed back exactly.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/record.h"
#include "libs/kafka/topics.h"
#include "tests/support/kafka_environment.h"
#include "vnstream/v1/market_data.pb.h"

namespace vnstream {
namespace {

testing::KafkaEnvironment* kafka_env = nullptr;

v1::Decimal Vnd(int64_t units) {
  v1::Decimal d;
  d.set_units(units);
  return d;
}

v1::Quote MakeQuote(const std::string& symbol, uint64_t seq) {
  v1::Quote q;
  q.mutable_meta()->set_symbol(symbol);
  q.mutable_meta()->set_seq(seq);
  q.mutable_meta()->set_source(v1::SOURCE_SIMULATOR);
  q.mutable_meta()->mutable_fetched_at()->set_seconds(1763600000 + seq);
  q.mutable_meta()->mutable_fetched_at()->set_nanos(123456789);
  q.set_exchange(v1::EXCHANGE_HOSE);
  q.set_session(v1::TRADING_SESSION_CONTINUOUS);
  *q.mutable_reference_price() = Vnd(116100);
  *q.mutable_last_price() = Vnd(116100 + 100 * static_cast<int64_t>(seq));
  q.set_total_volume(1000 * seq);
  v1::PriceLevel* bid = q.add_bids();
  *bid->mutable_price() = Vnd(116000);
  bid->set_volume(12300);
  return q;
}

class DeliveryCounter : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      ++delivered;
    } else {
      ++failed;
    }
  }
  int delivered = 0;
  int failed = 0;
};

TEST(KafkaSmokeTest, ProtobufRecordsRoundTripExactly) {
  constexpr int kSymbols = 10;
  constexpr int kPerSymbol = 20;
  DeliveryCounter deliveries;
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf =
      kafka::MakeConf({{"bootstrap.servers", kafka_env->bootstrap_servers()},
                       {"enable.idempotence", "true"},
                       {"acks", "all"},
                       {"compression.type", "lz4"}});
  ASSERT_TRUE(conf.ok()) << conf.status();
  std::string error;
  ASSERT_EQ((*conf)->set("dr_cb", &deliveries, error), RdKafka::Conf::CONF_OK);
  std::unique_ptr<RdKafka::Producer> producer(
      RdKafka::Producer::create(conf->get(), error));
  ASSERT_NE(producer, nullptr) << error;

  std::map<std::string, std::vector<v1::Quote>> sent;
  for (uint64_t seq = 1; seq <= kPerSymbol; ++seq) {
    for (int s = 0; s < kSymbols; ++s) {
      const std::string symbol = absl::StrCat("SYM", s);
      v1::Quote quote = MakeQuote(symbol, seq);
      kafka::OutgoingRecord record =
          kafka::EncodeRecord(kafka::kPricesTopic, quote, quote.meta());
      RdKafka::Headers* headers = RdKafka::Headers::create();
      for (const auto& [name, value] : record.headers)
        headers->add(name, value);
      ASSERT_EQ(
          producer->produce(record.topic, RdKafka::Topic::PARTITION_UA,
                            RdKafka::Producer::RK_MSG_COPY, record.value.data(),
                            record.value.size(), record.key.data(),
                            record.key.size(), 0, headers, nullptr),
          RdKafka::ERR_NO_ERROR);
      sent[symbol].push_back(std::move(quote));
    }
  }
  ASSERT_EQ(producer->flush(30000), RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(deliveries.delivered, kSymbols * kPerSymbol);
  EXPECT_EQ(deliveries.failed, 0);

  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> consumer_conf =
      kafka::MakeConf({{"bootstrap.servers", kafka_env->bootstrap_servers()},
                       {"group.id", "smoke-test"},
                       {"auto.offset.reset", "earliest"},
                       {"enable.auto.commit", "false"}});
  ASSERT_TRUE(consumer_conf.ok());
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(consumer_conf->get(), error));
  ASSERT_NE(consumer, nullptr) << error;
  ASSERT_EQ(consumer->subscribe({kafka::kPricesTopic}), RdKafka::ERR_NO_ERROR);

  std::map<std::string, std::vector<v1::Quote>> received;
  std::map<std::string, int32_t> partition_of;
  int total = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (total < kSymbols * kPerSymbol && absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(500));
    if (msg->err() == RdKafka::ERR__TIMED_OUT ||
        msg->err() == RdKafka::ERR__PARTITION_EOF) {
      continue;
    }
    ASSERT_EQ(msg->err(), RdKafka::ERR_NO_ERROR) << msg->errstr();
    v1::Quote quote;
    ASSERT_TRUE(kafka::DecodeRecord(*msg, quote).ok());
    EXPECT_EQ(kafka::HeaderValue(*msg, kafka::kHeaderType),
              "vnstream.v1.Quote");
    EXPECT_EQ(kafka::HeaderValue(*msg, kafka::kHeaderSource),
              "SOURCE_SIMULATOR");
    EXPECT_EQ(
        kafka::HeaderValue(*msg, kafka::kHeaderEventTime),
        absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%S",
                                      absl::FromUnixSeconds(
                                          quote.meta().fetched_at().seconds()),
                                      absl::UTCTimeZone()),
                     ".123456789Z"));
    // One partition per key: per-symbol order is preserved.
    auto [it, first] = partition_of.try_emplace(*msg->key(), msg->partition());
    EXPECT_EQ(it->second, msg->partition()) << *msg->key();
    received[*msg->key()].push_back(std::move(quote));
    ++total;
  }
  consumer->close();
  ASSERT_EQ(total, kSymbols * kPerSymbol);
  for (const auto& [symbol, quotes] : sent) {
    ASSERT_EQ(received[symbol].size(), quotes.size()) << symbol;
    for (size_t i = 0; i < quotes.size(); ++i) {
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
          quotes[i], received[symbol][i]))
          << symbol << " #" << i << ": " << received[symbol][i].DebugString();
    }
  }
}

TEST(KafkaSmokeTest, DecodeRejectsForeignPayloads) {
  // A record that is not a protobuf of the expected type is rejected.
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf = kafka::MakeConf(
      {{"bootstrap.servers", kafka_env->bootstrap_servers()}, {"acks", "all"}});
  ASSERT_TRUE(conf.ok());
  std::string error;
  std::unique_ptr<RdKafka::Producer> producer(
      RdKafka::Producer::create(conf->get(), error));
  const std::string junk = "\xff\xff not a protobuf";
  ASSERT_EQ(producer->produce(kafka::kIntradayTopic, 0,
                              RdKafka::Producer::RK_MSG_COPY,
                              const_cast<char*>(junk.data()), junk.size(),
                              "FPT", 3, 0, nullptr, nullptr),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->flush(30000), RdKafka::ERR_NO_ERROR);

  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> consumer_conf =
      kafka::MakeConf({{"bootstrap.servers", kafka_env->bootstrap_servers()},
                       {"group.id", "smoke-junk"},
                       {"auto.offset.reset", "earliest"}});
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(consumer_conf->get(), error));
  ASSERT_EQ(consumer->subscribe({kafka::kIntradayTopic}),
            RdKafka::ERR_NO_ERROR);
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(500));
    if (msg->err() != RdKafka::ERR_NO_ERROR) continue;
    v1::IntradayBar bar;
    const absl::Status status = kafka::DecodeRecord(*msg, bar);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    consumer->close();
    return;
  }
  FAIL() << "junk record not consumed";
}

}  // namespace
}  // namespace vnstream

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vnstream::kafka_env = vnstream::testing::KafkaEnvironment::Install();
  return RUN_ALL_TESTS();
}
