import Foundation
import SluiceTestSupport

/// Opens the dashboard of a running `sluice serve` in headless Chromium with `token` already in
/// the tab's session storage (as if typed into its form) and returns the page's HTML once it has
/// rendered the status, or `nil` when it has not within `timeout`. With `screenshot`, a PNG of
/// the page at `width` is saved there.
func renderedDashboard(base: String, token: String, width: Int = 1366, screenshot: String? = nil,
                       timeout: Duration = .seconds(60)) async throws -> String? {
    guard let chromium = HeadlessChromium.executable else { return nil }
    let browser = try HeadlessChromium(executable: chromium)
    defer { browser.close() }
    let page = try await browser.newPage(width: width, height: 900)
    let literal = String(decoding: try JSONSerialization.data(withJSONObject: token, options: [.fragmentsAllowed]), as: UTF8.self)
    try await page.beforeEachDocument("sessionStorage.setItem('sluice.readToken', \(literal))")
    try await page.navigate(base + "/")
    guard try await page.wait(until: "document.body.dataset.loaded === 'true'", timeout: timeout) else { return nil }
    if let screenshot { try await page.screenshot(to: screenshot) }
    return try await page.evaluate("document.documentElement.outerHTML")
}
