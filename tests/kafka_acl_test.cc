// The launcher's SASL_SSL mode against a real broker: every service logs in
// as its own user (libs/kafka/users.h) and can do what its ACLs allow and
// nothing else; a wrong password or a plaintext client gets nothing; the
// broker's log holds no password.
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "librdkafka/rdkafkacpp.h"
#include "libs/base/subprocess.h"
#include "libs/kafka/client_config.h"
#include "libs/kafka/topics.h"
#include "libs/kafka/users.h"
#include "tests/support/certs.h"
#include "tests/support/kafka_environment.h"
#include "tools/kafka/local_kafka.h"

namespace vnstream {
namespace {

using kafka::ConfigMap;

// Collects delivery reports and client errors.
class Events : public RdKafka::DeliveryReportCb, public RdKafka::EventCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    absl::MutexLock lock(&mu_);
    delivery_ = message.err();
    delivered_ = true;
  }
  void event_cb(RdKafka::Event& event) override {
    if (event.type() != RdKafka::Event::EVENT_ERROR) return;
    absl::MutexLock lock(&mu_);
    errors_.push_back(event.err());
  }
  bool delivered() {
    absl::MutexLock lock(&mu_);
    return delivered_;
  }
  RdKafka::ErrorCode delivery() {
    absl::MutexLock lock(&mu_);
    return delivery_;
  }
  bool Saw(RdKafka::ErrorCode err) {
    absl::MutexLock lock(&mu_);
    return std::find(errors_.begin(), errors_.end(), err) != errors_.end();
  }

 private:
  absl::Mutex mu_;
  bool delivered_ ABSL_GUARDED_BY(mu_) = false;
  RdKafka::ErrorCode delivery_ ABSL_GUARDED_BY(mu_) = RdKafka::ERR_NO_ERROR;
  std::vector<RdKafka::ErrorCode> errors_ ABSL_GUARDED_BY(mu_);
};

class KafkaAclTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<testing::TestCerts> certs =
        testing::MakeTestCerts(testing::TestTempPath("certs"));
    ASSERT_TRUE(certs.ok()) << certs.status();
    absl::StatusOr<std::unique_ptr<kafka::LocalKafka>> broker =
        kafka::LocalKafka::Start(
            {.work_dir = testing::TestTempPath("kafka"),
             // TLS and SASL make a start slower on a loaded machine.
             .startup_timeout = absl::Minutes(5),
             .security =
                 kafka::KafkaSecurity{.keystore_file = certs->kafka_keystore,
                                      .ca_file = certs->ca}});
    ASSERT_TRUE(broker.ok()) << broker.status();
    kafka_ = broker->release();
  }
  static void TearDownTestSuite() {
    delete kafka_;
    kafka_ = nullptr;
  }

  static ConfigMap As(const std::string& user, ConfigMap extra = {}) {
    extra["bootstrap.servers"] = kafka_->bootstrap_servers();
    return kafka::Merge(kafka_->ClientConfig(user), extra);
  }

  // Produces one record as `config`; the delivery result.
  static RdKafka::ErrorCode Produce(const ConfigMap& config,
                                    const std::string& topic) {
    Events events;
    absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf = kafka::MakeConf(
        kafka::Merge(config, {{"message.timeout.ms", "15000"}}));
    EXPECT_TRUE(conf.ok()) << conf.status();
    std::string error;
    (*conf)->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&events),
                 error);
    std::unique_ptr<RdKafka::Producer> producer(
        RdKafka::Producer::create(conf->get(), error));
    EXPECT_NE(producer, nullptr) << error;
    std::string value = "record";
    producer->produce(topic, 0, RdKafka::Producer::RK_MSG_COPY, value.data(),
                      value.size(), "FPT", 3, 0, nullptr);
    producer->flush(30000);
    EXPECT_TRUE(events.delivered());
    return events.delivery();
  }

  // Reads partition 0 of `topic` as `config`: the topic's metadata error if
  // any (librdkafka does not fetch, and so reports nothing, for a partition
  // whose topic it may not describe), else NO_ERROR once a record came, else
  // the first error.
  static RdKafka::ErrorCode Consume(const ConfigMap& config,
                                    const std::string& topic) {
    absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf = kafka::MakeConf(
        kafka::Merge(config, {{"enable.auto.commit", "false"}}));
    EXPECT_TRUE(conf.ok()) << conf.status();
    std::string error;
    std::unique_ptr<RdKafka::KafkaConsumer> consumer(
        RdKafka::KafkaConsumer::create(conf->get(), error));
    EXPECT_NE(consumer, nullptr) << error;
    std::unique_ptr<RdKafka::Topic> handle(
        RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
    EXPECT_NE(handle, nullptr) << error;
    RdKafka::Metadata* raw = nullptr;
    const RdKafka::ErrorCode described =
        consumer->metadata(false, handle.get(), &raw, 30000);
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    if (described != RdKafka::ERR_NO_ERROR) {
      consumer->close();
      return described;
    }
    if (metadata->topics()->size() == 1 &&
        metadata->topics()->at(0)->err() != RdKafka::ERR_NO_ERROR) {
      consumer->close();
      return metadata->topics()->at(0)->err();
    }
    std::vector<RdKafka::TopicPartition*> partitions = {
        RdKafka::TopicPartition::create(topic, 0,
                                        RdKafka::Topic::OFFSET_BEGINNING)};
    consumer->assign(partitions);
    RdKafka::TopicPartition::destroy(partitions);
    RdKafka::ErrorCode result = RdKafka::ERR__TIMED_OUT;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      std::unique_ptr<RdKafka::Message> message(consumer->consume(200));
      if (message->err() == RdKafka::ERR__TIMED_OUT ||
          message->err() == RdKafka::ERR__PARTITION_EOF) {
        continue;
      }
      result = message->err();
      break;
    }
    consumer->close();
    return result;
  }

  static kafka::LocalKafka* kafka_;
};

kafka::LocalKafka* KafkaAclTest::kafka_ = nullptr;

TEST_F(KafkaAclTest, EachServiceWritesAndReadsOnlyWhatItsAclsAllow) {
  ASSERT_TRUE(kafka_->secure());
  EXPECT_EQ(Produce(As("ingest"), kafka::kPricesTopic), RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(Produce(As("gateway"), kafka::kPricesTopic),
            RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED)
      << "the gateway only reads";
  EXPECT_EQ(Produce(As("analytics"), kafka::kPricesTopic),
            RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED)
      << "analytics does not write ingest's topics";
  EXPECT_EQ(Produce(As("ingest"), kafka::kAnalyticsTopic),
            RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED)
      << "ingest does not write analytics' topics";
  EXPECT_EQ(Produce(As("store"), kafka::kHistoricalTopic),
            RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED);

  EXPECT_EQ(Consume(As("gateway", {{"group.id", "vnstream-gateway"}}),
                    kafka::kPricesTopic),
            RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(Consume(As("store", {{"group.id", "vnstream-store"}}),
                    kafka::kPricesTopic),
            RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(Consume(As("analytics", {{"group.id", "vnstream-analytics"}}),
                    kafka::kPricesTopic),
            RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(Consume(As("ingest", {{"group.id", "vnstream-tail-scan"}}),
                    kafka::kPricesTopic),
            RdKafka::ERR_NO_ERROR)
      << "ingest reads its topics back (sequence recovery)";
  EXPECT_EQ(Consume(As("ingest", {{"group.id", "vnstream-tail-scan"}}),
                    kafka::kAnalyticsTopic),
            RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED);
}

TEST_F(KafkaAclTest, OnlyAnalyticsUsesItsTransactionalIds) {
  auto init = [](const ConfigMap& config) {
    absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf =
        kafka::MakeConf(config);
    std::string error;
    std::unique_ptr<RdKafka::Producer> producer(
        RdKafka::Producer::create(conf->get(), error));
    std::unique_ptr<RdKafka::Error> result(producer->init_transactions(30000));
    return result == nullptr ? RdKafka::ERR_NO_ERROR : result->code();
  };
  EXPECT_EQ(init(As("analytics",
                    {{"transactional.id", "vnstream-analytics-test-0"}})),
            RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(init(As("analytics", {{"transactional.id", "someone-else"}})),
            RdKafka::ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  EXPECT_EQ(
      init(As("gateway", {{"transactional.id", "vnstream-analytics-test-0"}})),
      RdKafka::ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
      << "another service cannot fence analytics' producer";
}

TEST_F(KafkaAclTest, WrongPasswordAnotherUsersLoginAndPlaintextGetNothing) {
  // A service using another service's user gets that user's rights, not
  // its own; with a wrong password, nothing.
  ConfigMap wrong = As("ingest");
  wrong["sasl.password"] = "not-the-password";
  Events events;
  absl::StatusOr<std::unique_ptr<RdKafka::Conf>> conf = kafka::MakeConf(wrong);
  ASSERT_TRUE(conf.ok());
  std::string error;
  (*conf)->set("event_cb", static_cast<RdKafka::EventCb*>(&events), error);
  std::unique_ptr<RdKafka::Producer> producer(
      RdKafka::Producer::create(conf->get(), error));
  RdKafka::Metadata* metadata = nullptr;
  EXPECT_NE(producer->metadata(true, nullptr, &metadata, 5000),
            RdKafka::ERR_NO_ERROR);
  delete metadata;
  EXPECT_TRUE(PollUntil(
      [&] {
        producer->poll(100);
        return events.Saw(RdKafka::ERR__AUTHENTICATION);
      },
      absl::Seconds(30)));

  ConfigMap plaintext = {{"bootstrap.servers", kafka_->bootstrap_servers()},
                         {"message.timeout.ms", "3000"}};
  EXPECT_NE(Produce(plaintext, kafka::kPricesTopic), RdKafka::ERR_NO_ERROR);
}

TEST_F(KafkaAclTest, PasswordsAreFilesOnlyTheOwnerReadsAndNeverLogged) {
  std::stringstream log;
  log << std::ifstream(kafka_->log_path()).rdbuf();
  ASSERT_FALSE(log.str().empty());
  for (const std::string user : {"admin", "ingest", "analytics", "gateway"}) {
    const std::string password = kafka_->ClientConfig(user).at("sasl.password");
    ASSERT_GE(password.size(), 32u);
    EXPECT_EQ(log.str().find(password), std::string::npos) << user;
    struct stat st;
    ASSERT_EQ(::stat(kafka_->PasswordFile(user).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0) << user;
  }
}

}  // namespace
}  // namespace vnstream
