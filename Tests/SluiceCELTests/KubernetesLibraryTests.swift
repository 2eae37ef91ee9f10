import SluiceCEL
import Testing

/// The Kubernetes CEL libraries `quantity()`, `url()`, `ip()` and `cidr()`, through CEL
/// expressions as admission policies write them. (cel-go's network_ext conformance file covers
/// `ip()` and `cidr()` further.)
@Suite("Kubernetes CEL libraries")
struct KubernetesLibraryTests {
    static func eval(_ expression: String, _ activation: [String: CELValue] = [:]) throws -> CELValue {
        try CEL.compile(expression).evaluate(activation)
    }

    static func bool(_ expression: String, _ activation: [String: CELValue] = [:]) throws -> Bool {
        guard case .bool(let b) = try eval(expression, activation) else { throw CELError("\(expression) is not a bool") }
        return b
    }

    static func string(_ expression: String) throws -> String {
        guard case .string(let s) = try eval(expression) else { throw CELError("\(expression) is not a string") }
        return s
    }

    static func int(_ expression: String) throws -> Int64 {
        guard case .int(let i) = try eval(expression) else { throw CELError("\(expression) is not an int") }
        return i
    }

    /// The message of the error `expression` fails with, or `nil` when it succeeds.
    static func error(_ expression: String) -> String? {
        do {
            _ = try eval(expression)
            return nil
        } catch {
            return "\(error)"
        }
    }

    // MARK: - quantity

    @Test("quantities parse every suffix of the grammar to their exact value", arguments: [
        ("1", "1"), ("0", "0"), ("-0", "0"), ("+5", "5"), ("1.5", "1.5"), ("1.", "1"), (".5", "0.5"), ("007", "7"),
        ("500m", "0.5"), ("1n", "0.000000001"), ("3u", "0.000003"), ("2k", "2000"), ("1M", "1000000"),
        ("2.5G", "2500000000"), ("1T", "1000000000000"), ("1P", "1000000000000000"), ("1E", "1000000000000000000"),
        ("1Ki", "1024"), ("512Mi", "536870912"), ("1Gi", "1073741824"), ("1.5Gi", "1610612736"), ("1Ti", "1099511627776"),
        ("1Pi", "1125899906842624"), ("7Ei", "8070450532247928832"), ("0.5Ki", "512"), ("0.1Ki", "102.4"),
        ("1e3", "1000"), ("1E3", "1000"), ("1e+3", "1000"), ("5e-2", "0.05"), ("-1.5e2", "-150"), ("12.5E-1", "1.25"),
    ])
    func quantityValues(text: String, expected: String) throws {
        #expect(try KubernetesQuantity.parse(text).description == expected)
        #expect(try Self.bool("isQuantity('\(text)')"))
    }

    @Test("texts outside the grammar are not quantities, and quantity() names them", arguments: [
        "", " 1", "1 ", "1Gb", "1K", "1i", "Gi", "-", "+", ".", "1.2.3", "1e", "1e1.5", "1e+", "1Ki2", "1mm", "0x10", "1,5", "1ei",
    ])
    func invalidQuantities(text: String) throws {
        #expect(try !Self.bool("isQuantity('\(text)')"))
        let message = try #require(Self.error("quantity('\(text)')"))
        #expect(message.contains("quantity '\(text)' is invalid"))
        #expect(message.contains("1.5Gi"), "the error shows what a quantity looks like")
    }

    @Test("values finer than a nano-unit round up in magnitude, as Kubernetes does")
    func quantityRounding() throws {
        #expect(try KubernetesQuantity.parse("0.1n").nanos == 1)
        #expect(try KubernetesQuantity.parse("-0.1n").nanos == -1)
        #expect(try KubernetesQuantity.parse("1.0000000001").nanos == 1_000_000_001)
        #expect(try KubernetesQuantity.parse("1e-30").nanos == 1)
        #expect(try KubernetesQuantity.parse("0e-30").nanos == 0)
        #expect(try KubernetesQuantity.parse("1.5n").nanos == 2)
        #expect(try KubernetesQuantity.parse("1.000n").nanos == 1)
    }

    @Test("magnitudes over 2^63-1 are capped at 2^63-1, as Kubernetes does")
    func quantityCap() throws {
        let max = KubernetesQuantity(Int64.max)
        #expect(try KubernetesQuantity.parse("9223372036854775807") == max)
        #expect(try KubernetesQuantity.parse("9223372036854775808") == max)
        #expect(try KubernetesQuantity.parse("8Ei") == max)
        #expect(try KubernetesQuantity.parse("1e1000000000000000") == max)
        #expect(try KubernetesQuantity.parse("-99999999999999999999999999999999999999999999") == KubernetesQuantity(-Int64.max))
        #expect(try KubernetesQuantity.parse("9223372036854775806.5") == KubernetesQuantity(nanos: max.nanos - 500_000_000))
    }

    @Test("equality is by value across suffixes")
    func quantityEquality() throws {
        #expect(try Self.bool("quantity('1Gi') == quantity('1024Mi')"))
        #expect(try Self.bool("quantity('1k') == quantity('1000')"))
        #expect(try Self.bool("quantity('500m') == quantity('0.5')"))
        #expect(try Self.bool("quantity('1e3') == quantity('1k')"))
        #expect(try !Self.bool("quantity('1G') == quantity('1Gi')"))
        #expect(try Self.bool("quantity('1G') != quantity('1Gi')"))
        #expect(try Self.bool("[quantity('2Gi')] == [quantity('2048Mi')]"))
        #expect(try !Self.bool("quantity('1') == 1"), "a quantity is not an int")
    }

    @Test("comparison methods are exact, even where doubles are not")
    func quantityComparison() throws {
        #expect(try Self.bool("quantity('512Mi').isLessThan(quantity('16Gi'))"))
        #expect(try !Self.bool("quantity('16Gi').isLessThan(quantity('16Gi'))"))
        #expect(try Self.bool("quantity('17179869185').isGreaterThan(quantity('16Gi'))"))
        #expect(try !Self.bool("quantity('17179869184').isGreaterThan(quantity('16Gi'))"))
        #expect(try Self.bool("quantity('9007199254740993').isGreaterThan(quantity('9007199254740992'))"))
        #expect(try Self.bool("quantity('1n').isGreaterThan(quantity('0'))"))
        #expect(try Self.bool("quantity('-1').isLessThan(quantity('-500m'))"))
        #expect(try Self.int("quantity('1Gi').compareTo(quantity('1G'))") == 1)
        #expect(try Self.int("quantity('1G').compareTo(quantity('1Gi'))") == -1)
        #expect(try Self.int("quantity('1Ki').compareTo(quantity('1024'))") == 0)
        #expect(Self.error("quantity('1').isLessThan(2)") != nil, "compare with a quantity, not an int")
        #expect(Self.error("quantity('1') < quantity('2')") != nil, "Kubernetes does not order quantities with <")
    }

    @Test("the Sluice policy on TaskManager memory")
    func taskManagerMemoryPolicy() throws {
        let policy = "quantity(object.spec.taskManager.resource.memory).isLessThan(quantity('16Gi'))"
        func object(_ memory: String) throws -> [String: CELValue] {
            let resource = CELValue.map(try CELMap([(.string("memory"), .string(memory))]))
            let taskManager = CELValue.map(try CELMap([(.string("resource"), resource)]))
            let spec = CELValue.map(try CELMap([(.string("taskManager"), taskManager)]))
            return ["object": .map(try CELMap([(.string("spec"), spec)]))]
        }
        #expect(try Self.bool(policy, object("4096m")))
        #expect(try Self.bool(policy, object("8Gi")))
        #expect(try Self.bool(policy, object("15.9Gi")))
        #expect(try !Self.bool(policy, object("16Gi")))
        #expect(try !Self.bool(policy, object("17179869184")))
        #expect(try !Self.bool(policy, object("20G")))
        #expect(throws: CELError.self) { try Self.bool(policy, object("16 GB")) }
    }

    @Test("integer conversion fails on fractions and overflow; isInteger says when it is safe")
    func quantityIntegers() throws {
        #expect(try Self.int("quantity('1Gi').asInteger()") == 1_073_741_824)
        #expect(try Self.int("quantity('-5k').asInteger()") == -5000)
        #expect(try Self.int("quantity('2000m').asInteger()") == 2)
        #expect(try Self.int("quantity('9223372036854775807').asInteger()") == Int64.max)
        #expect(try Self.bool("quantity('1Gi').isInteger()"))
        #expect(try !Self.bool("quantity('500m').isInteger()"))
        #expect(try !Self.bool("quantity('9223372036854775807').add(1).isInteger()"))
        let fraction = try #require(Self.error("quantity('500m').asInteger()"))
        #expect(fraction.contains("fraction") && fraction.contains("isInteger()"))
        let overflow = try #require(Self.error("quantity('9223372036854775807').add(1).asInteger()"))
        #expect(overflow.contains("range of int"))
    }

    @Test("approximate floats and signs")
    func quantityFloatAndSign() throws {
        #expect(try Self.eval("quantity('500m').asApproximateFloat()").celEquals(.double(0.5)))
        #expect(try Self.eval("quantity('1.5Gi').asApproximateFloat()").celEquals(.double(1_610_612_736)))
        #expect(try Self.eval("quantity('-2.25').asApproximateFloat()").celEquals(.double(-2.25)))
        #expect(try Self.int("quantity('5Mi').sign()") == 1)
        #expect(try Self.int("quantity('-1n').sign()") == -1)
        #expect(try Self.int("quantity('0Gi').sign()") == 0)
    }

    @Test("add and sub take quantities or ints and stay exact")
    func quantityArithmetic() throws {
        #expect(try Self.bool("quantity('50k').add(20) == quantity('50020')"))
        #expect(try Self.bool("quantity('50k').sub(20) == quantity('49980')"))
        #expect(try Self.bool("quantity('1Gi').add(quantity('512Mi')) == quantity('1.5Gi')"))
        #expect(try Self.bool("quantity('1Gi').sub(quantity('2Gi')) == quantity('-1Gi')"))
        #expect(try Self.bool("quantity('100m').add(quantity('200m')) == quantity('300m')"), "0.1 + 0.2 is exactly 0.3")
        #expect(try Self.bool("quantity('9223372036854775807').add(quantity('9223372036854775807')).isGreaterThan(quantity('9223372036854775807'))"))
        #expect(Self.error("quantity('1').add('1')") != nil)
        #expect(Self.error("quantity('1').add(1.5)") != nil)
        let huge = KubernetesQuantity(nanos: Int128.max - 5)
        #expect(huge.adding(KubernetesQuantity(1)) == nil)
        #expect(KubernetesQuantity(nanos: Int128.min + 5).subtracting(KubernetesQuantity(1)) == nil)
    }

    @Test("type names and overloads")
    func quantityTypes() throws {
        #expect(try Self.bool("type(quantity('1')) == kubernetes.Quantity"))
        #expect(Self.error("quantity(1)") != nil)
        #expect(Self.error("isQuantity(1)") != nil)
        #expect(Self.error("quantity('1').noSuchMethod()") != nil)
    }

    // MARK: - url

    @Test("URL accessors follow the Kubernetes documentation")
    func urlAccessors() throws {
        #expect(try Self.string("url('https://example.com:80/').getScheme()") == "https")
        #expect(try Self.string("url('HTTPS://example.com/').getScheme()") == "https")
        #expect(try Self.string("url('/absolute-path').getScheme()") == "")
        #expect(try Self.string("url('https://example.com:80/').getHost()") == "example.com:80")
        #expect(try Self.string("url('https://example.com/').getHost()") == "example.com")
        #expect(try Self.string("url('https://[::1]:80/').getHost()") == "[::1]:80")
        #expect(try Self.string("url('https://user:pw@example.com/').getHost()") == "example.com")
        #expect(try Self.string("url('/absolute-path').getHost()") == "")
        #expect(try Self.string("url('https://127.0.0.1:80/').getHostname()") == "127.0.0.1")
        #expect(try Self.string("url('https://[::1]:80/').getHostname()") == "::1")
        #expect(try Self.string("url('https://[::1]/').getHostname()") == "::1")
        #expect(try Self.string("url('/path').getHostname()") == "")
        #expect(try Self.string("url('https://example.com:80/').getPort()") == "80")
        #expect(try Self.string("url('https://example.com/').getPort()") == "")
        #expect(try Self.string("url('https://[::1]:8443/').getPort()") == "8443")
        #expect(try Self.string("url('https://example.com/path').getEscapedPath()") == "/path")
        #expect(try Self.string("url('https://example.com/path with spaces/').getEscapedPath()") == "/path%20with%20spaces/")
        #expect(try Self.string("url('https://example.com/a%2Fb').getEscapedPath()") == "/a%2Fb", "a valid encoding is kept as written")
        #expect(try Self.string("url('https://example.com/caf\u{e9}').getEscapedPath()") == "/caf%C3%A9")
        #expect(try Self.string("url('https://example.com').getEscapedPath()") == "")
        #expect(try Self.string("url('https://example.com/p#frag').getEscapedPath()") == "/p", "a fragment is not part of the path")
        #expect(try Self.string("url('http://[fe80::1%25en0]:8080/').getHostname()") == "fe80::1%en0", "an IPv6 zone is decoded")
        #expect(try Self.string("url('//example.com/path').getHost()") == "example.com", "a network-path reference has a host, as in Go")
        #expect(try Self.string("url('mailto:someone@example.com').getHost()") == "", "an opaque URI has no host")
    }

    @Test("getQuery maps each key to its values in order")
    func urlQuery() throws {
        #expect(try Self.bool("url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}"))
        #expect(try Self.bool("url('https://example.com/path?key with spaces=value with spaces').getQuery() == {'key with spaces': ['value with spaces']}"))
        #expect(try Self.bool("url('https://example.com/path?a+b=c%20d&e').getQuery() == {'a b': ['c d'], 'e': ['']}"))
        #expect(try Self.bool("url('https://example.com/path?bad=%zz&ok=1&semi=1;x=2').getQuery() == {'ok': ['1']}"))
        #expect(try Self.bool("url('https://example.com/path?').getQuery() == {}"))
        #expect(try Self.bool("url('https://example.com/path').getQuery() == {}"))
        #expect(try Self.bool("url('https://example.com/path?a=1#b=2').getQuery() == {'a': ['1']}"))
        #expect(try Self.bool("url('/path?a=1').getQuery()['a'][0] == '1'"))
    }

    @Test("isURL accepts absolute URIs and absolute paths", arguments: [
        "https://example.com", "https://example.com:80/", "http://user@example.com/x?y#z", "/absolute-path", "/", "*",
        "mailto:someone@example.com", "https://[::1]:80/", "https://example.com/with space", "https://example.com:/",
    ])
    func validURLs(text: String) throws {
        #expect(try Self.bool("isURL('\(text)')"))
        #expect(try Self.bool("type(url('\(text)')) == kubernetes.URL"))
    }

    @Test("isURL rejects relative references and malformed URIs, and url() says why", arguments: [
        "", "example.com", "../relative-path", "relative/path", "https://example.com:port/", "https://[::1/",
        "https://exa mple.com/", "https://example.com/%zz", "https://example.com/p#%zz", ":no-scheme",
        "https://ex%41mple.com/",
    ])
    func invalidURLs(text: String) throws {
        #expect(try !Self.bool("isURL('\(text)')"))
        let message = try #require(Self.error("url('\(text)')"))
        #expect(message.contains("URL parse error"))
        #expect(message.contains("absolute path"), "the error says what a URL looks like")
    }

    @Test("URLs compare by their text; overloads are checked")
    func urlEqualityAndOverloads() throws {
        #expect(try Self.bool("url('https://example.com/') == url('https://example.com/')"))
        #expect(try !Self.bool("url('https://example.com/') == url('https://example.com')"))
        #expect(Self.error("url(1)") != nil)
        #expect(Self.error("isURL(url('/'))") != nil)
        #expect(Self.error("url('/').getScheme(1)") != nil)
        #expect(Self.error("url('/').getFragment()") != nil)
    }

    // MARK: - ip and cidr beyond the conformance file

    @Test("IP text forms are canonical as in Go")
    func ipText() throws {
        #expect(try Self.string("string(ip('2001:0DB8:0:0:0:0:0:1'))") == "2001:db8::1")
        #expect(try Self.string("string(ip('1:0:0:2:0:0:0:3'))") == "1:0:0:2::3", "the longest zero run is shortened")
        #expect(try Self.string("string(ip('1:0:2:3:4:5:6:7'))") == "1:0:2:3:4:5:6:7", "a single zero group stays")
        #expect(try Self.string("string(ip('::'))") == "::")
        #expect(try Self.string("string(ip('::ffff:c0a8:1'))") == "::ffff:192.168.0.1")
        #expect(try Self.bool("ip.isCanonical('2001:db8::1')"))
        #expect(try !Self.bool("ip.isCanonical('2001:db8:0::1')"))
        #expect(try Self.string("string(cidr('10.1.2.3/8').masked())") == "10.0.0.0/8")
        #expect(try Self.string("string(cidr('2001:db8:ffff::/24').masked())") == "2001:d00::/24")
    }

    @Test("malformed addresses are rejected", arguments: [
        "01.2.3.4", "1.2.3", "256.1.1.1", "1.2.3.4.", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1:2:3:4:5:6:7::8", "12345::", "1.2.3.4%eth0", "",
    ])
    func invalidIPs(text: String) throws {
        #expect(try !Self.bool("isIP('\(text)')"))
    }

    @Test("CIDR prefix lengths are checked")
    func cidrBits() throws {
        #expect(try Self.bool("isCIDR('0.0.0.0/0')"))
        #expect(try Self.bool("isCIDR('::/128')"))
        #expect(try !Self.bool("isCIDR('10.0.0.0/33')"))
        #expect(try !Self.bool("isCIDR('10.0.0.0/08')"))
        #expect(try !Self.bool("isCIDR('10.0.0.0/-1')"))
        #expect(try !Self.bool("isCIDR('10.0.0.0')"))
        #expect(try Self.bool("cidr('0.0.0.0/0').containsIP('255.255.255.255')"))
        #expect(try !Self.bool("cidr('10.0.0.0/8').containsCIDR('0.0.0.0/0')"))
        #expect(Self.error("cidr('10.0.0.0/8').containsIP('10.0.0.300')") != nil)
    }
}
