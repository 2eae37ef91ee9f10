import SluiceSpec
import Testing

@Suite struct NamesTests {
    @Test(arguments: ["a", "0", "orders", "my-job-2", "123-abc", String(repeating: "a", count: 63)])
    func validDNS1123Labels(_ name: String) {
        #expect(Names.isDNS1123Label(name))
        #expect(Names.dns1123LabelProblem(name) == nil)
    }

    @Test(arguments: ["", "-a", "a-", "Orders", "my_job", "a.b", "ä", String(repeating: "a", count: 64)])
    func invalidDNS1123Labels(_ name: String) {
        #expect(!Names.isDNS1123Label(name))
        #expect(Names.dns1123LabelProblem(name) != nil)
    }

    @Test func labelProblemsSayWhy() throws {
        #expect(try #require(Names.dns1123LabelProblem(String(repeating: "a", count: 64))).contains("no more than 63 characters"))
        #expect(try #require(Names.dns1123LabelProblem("My-Job")).contains("lower case"))
        #expect(try #require(Names.dns1123LabelProblem("")).contains("empty"))
    }

    @Test func subdomains() {
        for valid in ["example.com", "a", "flink.apache.org", "a-b.c-d.e", "123.456",
                      String(repeating: "a", count: 63) + "." + String(repeating: "b", count: 189)] {
            #expect(Names.isDNS1123Subdomain(valid), "\(valid)")
        }
        for invalid in ["", ".a", "a.", "a..b", "A.com", "a_b.com", "-a.com", "a-.com",
                        String(repeating: "a", count: 254)] {
            #expect(!Names.isDNS1123Subdomain(invalid), "\(invalid)")
        }
        #expect(Names.dns1123SubdomainProblem(String(repeating: "a", count: 254))?.contains("253") == true)
    }

    @Test func labelKeys() {
        for valid in ["app", "App_Name", "my.label-1", "app.kubernetes.io/name", "sluice.dev/tier", "a/b",
                      "example.com/" + String(repeating: "x", count: 63)] {
            #expect(Names.isValidLabelKey(valid), "\(valid)")
        }
        for invalid in ["", "/name", "example.com/", "a/b/c", "-app", "app-", "app name", "Example.com/name",
                        "example.com/" + String(repeating: "x", count: 64)] {
            #expect(!Names.isValidLabelKey(invalid), "\(invalid)")
        }
        #expect(Names.labelKeyProblem("Example.com/name")?.hasPrefix("prefix:") == true)
        #expect(Names.labelKeyProblem("example.com/")?.contains("name part must not be empty") == true)
        #expect(Names.labelKeyProblem("a/b/c")?.contains("one '/'") == true)
    }

    @Test func labelValues() {
        for valid in ["", "v1", "Release_1.2-rc", "a", String(repeating: "z", count: 63)] {
            #expect(Names.isValidLabelValue(valid), "\(valid)")
        }
        for invalid in ["-v", "v-", "v 1", "a/b", "ä", String(repeating: "z", count: 64)] {
            #expect(!Names.isValidLabelValue(invalid), "\(invalid)")
        }
        #expect(Names.labelValueProblem(String(repeating: "z", count: 64))?.contains("63") == true)
    }
}

@Suite struct APIVersionGroupTests {
    /// The group is everything before the last `/` (k8s.io/apimachinery `schema.ParseGroupVersion`
    /// splits at the one slash it allows; Sluice keeps what comes before the last).
    @Test(arguments: [
        ("flink.apache.org/v1beta1", "flink.apache.org"), ("v1", ""), ("apps/v1", "apps"), ("a/b/v1", "a/b"),
        ("gruppe.ä.example/v1", "gruppe.ä.example"), ("/v1", ""), ("flink.apache.org/", "flink.apache.org"),
    ])
    func groupOfAnAPIVersion(_ apiVersion: String, _ group: String) {
        #expect(ObjectIdentity.group(ofAPIVersion: apiVersion) == group)
    }
}
