import Foundation
import SluiceCore

/// Writes to standard output and standard error, and turns errors into exit statuses.
enum Console {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints diagnostics the way compilers do, one per line, errors and warnings marked.
    static func printDiagnostics(_ diagnostics: [Diagnostic]) {
        for d in diagnostics.sorted() {
            let prefix = d.location.map { "\($0): " } ?? ""
            var line = "\(prefix)\(d.severity.rawValue): \(d.message)\n"
            if let hint = d.hint { line += "  hint: \(hint)\n" }
            err(line)
        }
    }

    /// Reports a failure on standard error and returns the exit status it maps to.
    static func fail(_ error: any Error) -> ExitCode {
        switch error {
        case let error as DiagnosticError:
            printDiagnostics(error.diagnostics)
            let errors = error.diagnostics.filter { $0.severity == .error }.count
            err("\(errors) error\(errors == 1 ? "" : "s")\n")
            return ExitCode(ExitStatus.invalidSpecs.rawValue)
        case let error as any SluiceError:
            err("error: \(error.description)\n")
            return ExitCode(ExitStatus.usage.rawValue)
        default:
            err("error: \(error)\n")
            return ExitCode(ExitStatus.usage.rawValue)
        }
    }
}

import ArgumentParser
