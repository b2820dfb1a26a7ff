// Applies vnstream's Kafka ACLs to a running broker, with Kafka's
// own Admin client (librdkafka 2.0 cannot create transactional-id ACLs).
// Run by the launcher in its SASL_SSL mode (local_kafka.cc, which embeds
// this file), as a single-file program:
//
//   java -cp 'KAFKA_HOME/lib/*' KafkaUsers.java ADMIN_PROPERTIES SPEC
//
// ADMIN_PROPERTIES: Admin client properties (bootstrap, TLS, the admin's
// SASL login). SPEC, one ACL per line:
//   acl PRINCIPAL RESOURCE PATTERN NAME OP   an ALLOW ACL from any host
// (the users themselves are the broker's JAAS entries: local_kafka.cc).
// Idempotent: an existing ACL is kept. Exits non-zero with the error on
// stderr.
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class KafkaUsers {
  public static void main(String[] args) throws Exception {
    Properties properties = new Properties();
    try (var in = Files.newInputStream(Path.of(args[0]))) {
      properties.load(in);
    }
    List<AclBinding> acls = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[1]))) {
      String[] f = line.trim().split("\\s+");
      if (f[0].equals("acl")) {
        acls.add(new AclBinding(
            new ResourcePattern(ResourceType.valueOf(f[2]), f[4], PatternType.valueOf(f[3])),
            new AccessControlEntry(f[1], "*", AclOperation.valueOf(f[5]), AclPermissionType.ALLOW)));
      }
    }
    try (Admin admin = Admin.create(properties)) {
      admin.createAcls(acls).all().get(60, TimeUnit.SECONDS);
    }
  }
}
