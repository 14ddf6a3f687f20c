public import NIOHTTP1

/// Headers shared by health responses.
public enum HealthHeaders {
    /// Headers that stop browsers, proxies and CDNs from caching a health response.
    public static let noCache: HTTPHeaders = [
        "Cache-Control": "no-cache, no-store, must-revalidate",
        "Pragma": "no-cache",
        "Expires": "0",
    ]
}
