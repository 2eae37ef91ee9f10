import Testing

/// Every test that starts Flink JVMs, one at a time: two cores cannot run several clusters at
/// once without their health gates timing out. The suite lives here, not in a test target, so
/// that the Flink, runtime and server tests all nest in it (`extension RealFlink { @Suite … }`)
/// and stay serialized with each other while all test targets run in one process.
@Suite("Real Flink", .serialized, .enabled(if: FlinkInstallation.testsEnabled,
       "needs Java 17 on PATH (apt-get install openjdk-17-jre-headless) and SLUICE_SKIP_FLINK_TESTS unset"))
public struct RealFlink {}
