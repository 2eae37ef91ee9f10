import SluiceTestSupport
import Testing

/// Every test that starts Flink JVMs, one at a time: two cores cannot run several clusters at
/// once without their health gates timing out.
@Suite("Real Flink", .serialized, .enabled(if: FlinkInstallation.testsEnabled,
       "needs Java 17 on PATH (apt-get install openjdk-17-jre-headless) and SLUICE_SKIP_FLINK_TESTS unset"))
struct RealFlink {}
