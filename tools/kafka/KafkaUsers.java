// Applies vnstream's Kafka users and ACLs to a running broker, with Kafka's
// own Admin client (librdkafka 2.0 cannot create transactional-id ACLs).
// Run by the launcher in its SASL_SSL mode (local_kafka.cc, which embeds
// this file), as a single-file program:
//
//   java -cp 'KAFKA_HOME/lib/*' KafkaUsers.java ADMIN_PROPERTIES SPEC
//
// ADMIN_PROPERTIES: Admin client properties (bootstrap, TLS, the admin's
// SASL login). SPEC, one item per line:
//   user NAME PASSWORD_FILE                  SCRAM-SHA-512 credentials (upsert)
//   acl PRINCIPAL RESOURCE PATTERN NAME OP   an ALLOW ACL from any host
// Idempotent: an existing ACL is kept, a user's password is (re)set. Exits
// non-zero with the error on stderr.
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
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
    List<UserScramCredentialAlteration> users = new ArrayList<>();
    List<AclBinding> acls = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[1]))) {
      String[] f = line.trim().split("\\s+");
      if (f[0].equals("user")) {
        String password = Files.readString(Path.of(f[2])).trim();
        users.add(new UserScramCredentialUpsertion(
            f[1], new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password));
      } else if (f[0].equals("acl")) {
        acls.add(new AclBinding(
            new ResourcePattern(ResourceType.valueOf(f[2]), f[4], PatternType.valueOf(f[3])),
            new AccessControlEntry(f[1], "*", AclOperation.valueOf(f[5]), AclPermissionType.ALLOW)));
      }
    }
    try (Admin admin = Admin.create(properties)) {
      if (!users.isEmpty()) {
        admin.alterUserScramCredentials(users).all().get(60, TimeUnit.SECONDS);
      }
      admin.createAcls(acls).all().get(60, TimeUnit.SECONDS);
    }
  }
}
