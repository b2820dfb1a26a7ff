#include "libs/kafka/users.h"

#include "libs/kafka/topics.h"

namespace vnstream::kafka {
namespace {

void Topics(ServiceUser& user, const std::vector<const char*>& topics,
            const std::vector<const char*>& operations) {
  for (const char* topic : topics) {
    for (const char* op : operations) {
      user.acls.push_back({"TOPIC", "LITERAL", topic, op});
    }
  }
}

void Group(ServiceUser& user, const char* pattern, const char* group) {
  user.acls.push_back({"GROUP", pattern, group, "READ"});
}

}  // namespace

std::vector<ServiceUser> ServiceUsers() {
  const std::vector<const char*> all = {
      kPricesTopic,    kIntradayTopic,          kHistoricalTopic,
      kAnalyticsTopic, kIntradayAnalyticsTopic, kMarketTopic,
      kSignalsTopic,   kInstrumentsTopic};
  ServiceUser ingest{"ingest", {}};
  Topics(ingest,
         {kPricesTopic, kIntradayTopic, kHistoricalTopic, kInstrumentsTopic},
         {"WRITE", "READ"});
  Group(ingest, "LITERAL", "vnstream-tail-scan");

  ServiceUser analytics{"analytics", {}};
  Topics(analytics,
         {kHistoricalTopic, kIntradayTopic, kPricesTopic, kInstrumentsTopic},
         {"READ"});
  // Its state changelog: written in its transactions, read back when
  // partitions are assigned.
  Topics(analytics, {kAnalyticsStateTopic}, {"WRITE", "READ"});
  Topics(
      analytics,
      {kAnalyticsTopic, kIntradayAnalyticsTopic, kMarketTopic, kSignalsTopic},
      {"WRITE"});
  Group(analytics, "PREFIXED", "vnstream-analytics");
  for (const char* op : {"WRITE", "DESCRIBE"}) {
    analytics.acls.push_back(
        {"TRANSACTIONAL_ID", "PREFIXED", "vnstream-analytics", op});
  }

  ServiceUser gateway{"gateway", {}};
  Topics(gateway, all, {"READ"});
  Group(gateway, "PREFIXED", "vnstream-gateway");

  ServiceUser store{"store", {}};
  Topics(store, all, {"READ"});
  Group(store, "PREFIXED", "vnstream-store");
  return {ingest, analytics, gateway, store};
}

}  // namespace vnstream::kafka
