import ArgumentParser

/// The example that ends each command's `--help`: one command line that runs as written from
/// the root of a clone of Sluice's repository (SluiceCLITests runs every one of them).
enum HelpExamples {
    static let byCommand: [String: String] = [
        "sluice": "sluice validate --path specs-example",
        "sluice validate": "sluice validate --path specs-example",
        "sluice render": "sluice render --path specs-example --cluster edge-lab --output table",
        "sluice check": "sluice check --base HEAD~1 --head HEAD --path specs-example",
        "sluice plan": "sluice plan --path specs-example --cluster edge-lab",
        "sluice sync": "sluice sync --path specs-example --cluster edge-lab --dry-run",
        "sluice serve": "sluice serve --path specs-example --cluster edge-lab --listen 127.0.0.1:8080 --log-format json",
        "sluice runtime": "sluice runtime status --cluster edge-lab",
        "sluice runtime serve": "sluice runtime serve --cluster edge-lab --listen 127.0.0.1:7443 --token-file runtime-token",
        "sluice runtime status": "sluice runtime status --cluster edge-lab",
        "sluice runtime down": "sluice runtime down --cluster edge-lab",
    ]

    /// The command an argument list asks help for (`sluice sync --help`, `sluice help runtime serve`),
    /// as the path of command names.
    static func commandPath(_ arguments: [String]) -> String {
        var path = ["sluice"]
        var command: any ParsableCommand.Type = Sluice.self
        for argument in arguments where !argument.hasPrefix("-") && argument != "help" {
            guard let next = command.configuration.subcommands.first(where: { $0._commandName == argument }) else { break }
            path.append(argument)
            command = next
        }
        return path.joined(separator: " ")
    }

    /// `help` followed by the example of the command it describes.
    static func appended(to help: String, arguments: [String]) -> String {
        guard let example = byCommand[commandPath(arguments)] else { return help }
        return help.trimmingCharacters(in: .newlines) + "\n\nEXAMPLE:\n  \(example)\n"
    }
}
