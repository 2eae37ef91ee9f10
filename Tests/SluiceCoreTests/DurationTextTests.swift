import SluiceCore
import Testing

/// Durations as Go's time.ParseDuration (kubectl --timeout, --request-timeout) writes them.
@Suite("Duration text")
struct DurationTextTests {
    @Test("Kubernetes-style durations and plain seconds", arguments: [
        ("30s", Duration.seconds(30)), ("5m", .seconds(300)), ("1h", .seconds(3600)), ("1h30m", .seconds(5400)),
        ("250ms", .milliseconds(250)), ("1.5h", .seconds(5400)), ("2m3s", .seconds(123)), ("30", .seconds(30)),
        ("0.5", .milliseconds(500)), (" 10s ", .seconds(10)), ("0s", .zero),
    ])
    func parses(text: String, expected: Duration) throws {
        #expect(try DurationText.parse(text) == expected)
    }

    @Test("refuses negatives, unknown units, missing units and garbage", arguments: [
        "-1", "-5m", "", "5x", "1h30", "m", "1e400", "abc", "1d", String(repeating: "1s", count: 40),
    ])
    func refuses(text: String) {
        #expect(throws: DurationText.Invalid.self) { try DurationText.parse(text) }
    }

    @Test("format reads back")
    func format() throws {
        for duration in [Duration.seconds(30), .seconds(300), .seconds(5400), .milliseconds(250), .seconds(86_400), .milliseconds(1500)] {
            #expect(try DurationText.parse(DurationText.format(duration)) == duration)
        }
        #expect(DurationText.format(.seconds(5400)) == "1h30m")
    }

    @Test("seconds as a Double keep the fraction, down to attoseconds")
    func seconds() {
        #expect(Duration.milliseconds(1500).seconds == 1.5)
        #expect(Duration.seconds(86_400).seconds == 86_400)
        #expect(Duration.nanoseconds(250).seconds == 250e-9)
        #expect(Duration.zero.seconds == 0)
        #expect((Duration.seconds(2) - .milliseconds(2500)).seconds == -0.5)
    }
}
