//! IdP metadata: the SAML `EntityDescriptor` an IdP publishes, parsed with `roxmltree` (which refuses DTDs, so no
//! entity expansion), and fetched from a URL with a timeout and a size cap.

use std::time::Duration;

use crate::{CoreError, CoreResult};

/// The largest metadata document accepted (inline or fetched): 1 MiB.
pub const MAX_METADATA_BYTES: usize = 1024 * 1024;

/// How long fetching a metadata URL may take.
pub const METADATA_FETCH_TIMEOUT: Duration = Duration::from_secs(10);

const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// What a configuration takes from IdP metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    pub entity_id: String,
    /// The SingleSignOnService location (HTTP-Redirect preferred, else HTTP-POST).
    pub sso_endpoint: String,
    /// The signing certificate, base64 DER (whitespace removed).
    pub certificate: String,
}

fn bad(message: &str) -> CoreError {
    CoreError::BadRequest(format!("Invalid IdP metadata: {message}"))
}

/// Parses IdP metadata XML. Malformed XML, a DTD, or missing entityID / SSO location / signing certificate is a 400.
pub fn parse_idp_metadata(xml: &str) -> CoreResult<IdpMetadata> {
    if xml.len() > MAX_METADATA_BYTES {
        return Err(bad("larger than 1 MiB"));
    }
    let doc = roxmltree::Document::parse(xml).map_err(|e| bad(&format!("malformed XML ({e})")))?;
    let entity = doc
        .descendants()
        .find(|n| n.has_tag_name((MD_NS, "EntityDescriptor")))
        .ok_or_else(|| bad("no EntityDescriptor"))?;
    let entity_id = entity.attribute("entityID").map(str::trim).filter(|s| !s.is_empty());
    let entity_id = entity_id.ok_or_else(|| bad("no entityID"))?.to_owned();
    let idp = entity
        .descendants()
        .find(|n| n.has_tag_name((MD_NS, "IDPSSODescriptor")))
        .ok_or_else(|| bad("no IDPSSODescriptor"))?;
    let services: Vec<_> = idp.children().filter(|n| n.has_tag_name((MD_NS, "SingleSignOnService"))).collect();
    let location = |binding: &str| {
        services
            .iter()
            .find(|n| n.attribute("Binding") == Some(binding))
            .and_then(|n| n.attribute("Location"))
            .map(str::trim)
            .filter(|l| !l.is_empty())
    };
    let sso_endpoint = location(REDIRECT).or_else(|| location(POST)).ok_or_else(|| bad("no SingleSignOnService"))?;
    if !yolk_domain::sso_settings::is_http_url(sso_endpoint) {
        return Err(bad("the SingleSignOnService Location must be an http(s) URL"));
    }
    let keys: Vec<_> = idp.children().filter(|n| n.has_tag_name((MD_NS, "KeyDescriptor"))).collect();
    let signing = keys
        .iter()
        .find(|k| k.attribute("use") == Some("signing"))
        .or_else(|| keys.iter().find(|k| k.attribute("use").is_none()));
    let certificate = signing
        .and_then(|k| k.descendants().find(|n| n.has_tag_name((DS_NS, "X509Certificate"))))
        .and_then(|n| n.text())
        .map(|t| t.chars().filter(|c| !c.is_whitespace()).collect::<String>())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad("no signing X509Certificate"))?;
    super::check_certificate(&certificate).map_err(|m| bad(&m))?;
    Ok(IdpMetadata { entity_id, sso_endpoint: sso_endpoint.to_owned(), certificate })
}

/// Fetches metadata from `url` (http or https only), at most [`MAX_METADATA_BYTES`], within
/// [`METADATA_FETCH_TIMEOUT`]. Any failure is a 400 that does not echo what the server answered.
pub async fn fetch_metadata(url: &str) -> CoreResult<String> {
    if !yolk_domain::sso_settings::is_http_url(url) {
        return Err(CoreError::BadRequest("url must be an http(s) URL".into()));
    }
    let failed = || CoreError::BadRequest("Could not fetch the IdP metadata from url".into());
    let parsed = url::Url::parse(url).map_err(|_| CoreError::BadRequest("url must be an http(s) URL".into()))?;
    let host = parsed.host_str().ok_or_else(failed)?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = parsed.port_or_known_default().ok_or_else(failed)?;
    // A tenant admin names the URL: the server must not become its way into the private network (cloud metadata,
    // internal services). Every address the name resolves to must be public, and the request goes to the one
    // checked (pinned), so a second resolution cannot swap it.
    let addrs: Vec<std::net::SocketAddr> =
        tokio::time::timeout(METADATA_FETCH_TIMEOUT, tokio::net::lookup_host((host.as_str(), port)))
            .await
            .map_err(|_| failed())?
            .map_err(|_| failed())?
            .collect();
    let Some(addr) = addrs.first().copied() else { return Err(failed()) };
    if addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(CoreError::BadRequest("url must name a public address".into()));
    }
    let client = reqwest::Client::builder()
        .timeout(METADATA_FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, addr)
        .build()
        .map_err(|e| CoreError::Internal(format!("http client: {e}")))?;
    let mut response = client.get(url).send().await.map_err(|_| failed())?;
    if !response.status().is_success() {
        return Err(failed());
    }
    if response.content_length().is_some_and(|n| n > MAX_METADATA_BYTES as u64) {
        return Err(bad("larger than 1 MiB"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| failed())? {
        if body.len() + chunk.len() > MAX_METADATA_BYTES {
            return Err(bad("larger than 1 MiB"));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| bad("not UTF-8"))
}

/// Whether an address is on the public internet (not loopback, private, link-local, shared, documentation,
/// multicast, unspecified or reserved; IPv4-mapped IPv6 judged as IPv4).
fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test IdP's certificate (`yolk-testkit/fixtures/saml/idp.crt`).
    const CERT: &str = "MIIDEzCCAfugAwIBAgIUQ1sIjESCbE2dcN0sLZVwl82daPMwDQYJKoZIhvcNAQELBQAwGDEWMBQGA1UEAwwNeW9sayB0ZXN0IGlkcDAgFw0yNjEyMDMxOTI0NTBaGA8yMTI2MTEwOTE5MjQ1MFowGDEWMBQGA1UEAwwNeW9sayB0ZXN0IGlkcDCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAMwpQrir/3HTlGGoPtsel6R0nGnx7xYRHtJfoHICBrlaDeoP83BTutiIBfacmRY0hZR/MR6BGoZA/HAmvGQGtEpiP1yCfE4wUEQ5Vn7maIpxZ+hZxrwRjHryg3QIfYhJ+KmDN6M0QHP5CILiWVsqKfr76RSq+TjVFswwc1i3wGz9mrwDiWD6CQ8Ccdqg3TpAR9n3jSpIxKMGgN2LsMG8baSCAFk8n6fV7MDv86sDjZfg8JAUC2VNygCnGrTw1UVb2AEzlST3q+nFR7Tjh/QhyBE38o26XfDSwbjgaQC9n0pEyzjhweC6xbUKVc7IS3utZA9vpg6uTl/WDmRkWP08l8ECAwEAAaNTMFEwHQYDVR0OBBYEFG/HWqMV8fmlV//TdyiQBK/w9OyeMB8GA1UdIwQYMBaAFG/HWqMV8fmlV//TdyiQBK/w9OyeMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEBAHP1bYkB5wjheGJ97DLKtzxi1Cxx2roxzW0UsIxVgX5LNa6/o8VJtqwe/JwC/FaQS9Lq2CkkVg34QWyluYebNp0295fsVTl6Jv17ctfn8v/AF4MCVTMspeSGxjrxuU9tpJ2xuDnRj3jLPB25asIGgnIdeTuckSCL2V4gJCAou2/+SdrpnPzRWppTxZbW61UQRCYz45TBiJj4CguxkR/SobN8s6QgcrQSIR6Dc6eJ2pJ0nixd2KNcf0TkbUh0jpra7AfIjDWRYuvXVfY4Ar3bmXI4q83FZKya6D1dxCkfIvlWMJy1LXjc1N69G26vReHUfG2UevRMyOCXuz/SOTxXK5A=";

    fn metadata(extra: &str) -> String {
        format!(
            r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/e">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
      <ds:X509Certificate>
        {CERT}
      </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example/post"/>
    {extra}
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#
        )
    }

    #[test]
    fn takes_entity_id_redirect_location_and_signing_certificate() {
        let m = parse_idp_metadata(&metadata(
            r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/redirect"/>"#,
        ))
        .unwrap();
        assert_eq!(m.entity_id, "https://idp.example/e");
        assert_eq!(m.sso_endpoint, "https://idp.example/redirect");
        assert_eq!(m.certificate, CERT);
        assert_eq!(parse_idp_metadata(&metadata("")).unwrap().sso_endpoint, "https://idp.example/post");
    }

    #[test]
    fn only_public_addresses_are_fetched() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn refuses_malformed_xml_dtds_and_incomplete_metadata() {
        let dtd = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#;
        for bad in ["", "<md:EntityDescriptor", dtd, "<x/>", &metadata("").replace(CERT, "")] {
            assert!(matches!(parse_idp_metadata(bad), Err(CoreError::BadRequest(_))), "{bad}");
        }
    }
}
