//! Exclusive XML Canonicalization 1.0, without comments (<https://www.w3.org/TR/xml-exc-c14n/>), over a
//! `roxmltree` subtree: the one canonical form XML signatures in SAML use.
//!
//! Only what a signature check needs: an element and its descendants (the document subset of a same-document
//! reference), minus at most one excluded element (the enveloped `Signature`). Comments are dropped, as the
//! "without comments" form says; that is why [`super::response`] reads element text by concatenating every text
//! node (a comment inside a signed `NameID` must not cut the value short).

use roxmltree::Node;

/// The `xml:` prefix's namespace: never declared, never rendered as a namespace node.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Canonicalizes `apex` and its descendants, leaving out `exclude` (and its subtree) when given.
/// `inclusive` is the `InclusiveNamespaces PrefixList` (`#default` for the default namespace): those
/// prefixes are rendered as inclusive canonicalization would.
pub(crate) fn canonicalize(
    source: &str,
    apex: Node<'_, '_>,
    exclude: Option<Node<'_, '_>>,
    inclusive: &[String],
) -> Result<Vec<u8>, C14nError> {
    let mut out = Vec::with_capacity(apex.range().len());
    // The namespace declarations rendered by output ancestors: (prefix, uri); "" is the default namespace,
    // and the default namespace starts as the empty one.
    let mut rendered: Vec<(String, String)> = vec![(String::new(), String::new())];
    element(source, apex, exclude, inclusive, &mut rendered, &mut out)?;
    Ok(out)
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum C14nError {
    #[error("an element or attribute names a prefix that is not declared")]
    UndeclaredPrefix,
}

fn element(
    source: &str,
    node: Node<'_, '_>,
    exclude: Option<Node<'_, '_>>,
    inclusive: &[String],
    rendered: &mut Vec<(String, String)>,
    out: &mut Vec<u8>,
) -> Result<(), C14nError> {
    let qname = element_qname(source, node);
    let prefix = prefix_of(qname);

    // The namespaces this element visibly uses: its own prefix, its attributes' prefixes, and the inclusive list.
    let mut used: Vec<&str> = vec![prefix];
    let mut attrs: Vec<(&str, &str, &str, &str)> = Vec::new(); // (ns uri, local, qname, value)
    for attr in node.attributes() {
        let aq = &source[attr.range_qname()];
        let ap = prefix_of(aq);
        if !ap.is_empty() && ap != "xml" && !used.contains(&ap) {
            used.push(ap);
        }
        attrs.push((attr.namespace().unwrap_or(""), attr.name(), aq, attr.value()));
    }
    for p in inclusive {
        let p = if p == "#default" { "" } else { p.as_str() };
        if !used.contains(&p) {
            // Inclusive prefixes are rendered only where they are in scope.
            if in_scope(node, p).is_some() {
                used.push(p);
            }
        }
    }

    let mut decls: Vec<(String, String)> = Vec::new();
    for p in used {
        let uri = match in_scope(node, p) {
            Some(uri) => uri,
            None if p.is_empty() => "",
            None => return Err(C14nError::UndeclaredPrefix),
        };
        if uri == XML_NS {
            continue;
        }
        let current = rendered.iter().rev().find(|(rp, _)| rp == p).map(|(_, u)| u.as_str());
        // An empty default namespace needs a declaration only to undo a rendered non-empty one.
        let needed = match current {
            Some(cur) => cur != uri,
            None => !uri.is_empty(),
        };
        if needed {
            decls.push((p.to_owned(), uri.to_owned()));
        }
    }
    decls.sort_by(|a, b| a.0.cmp(&b.0));
    attrs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));

    out.push(b'<');
    out.extend_from_slice(qname.as_bytes());
    for (p, uri) in &decls {
        if p.is_empty() {
            out.extend_from_slice(b" xmlns=\"");
        } else {
            out.extend_from_slice(b" xmlns:");
            out.extend_from_slice(p.as_bytes());
            out.extend_from_slice(b"=\"");
        }
        escape_attr(uri, out);
        out.push(b'"');
    }
    for (_, _, aq, value) in &attrs {
        out.push(b' ');
        out.extend_from_slice(aq.as_bytes());
        out.extend_from_slice(b"=\"");
        escape_attr(value, out);
        out.push(b'"');
    }
    out.push(b'>');

    let mark = rendered.len();
    rendered.extend(decls);
    for child in node.children() {
        if Some(child) == exclude {
            continue;
        }
        if child.is_element() {
            element(source, child, exclude, inclusive, rendered, out)?;
        } else if child.is_text() {
            escape_text(child.text().unwrap_or(""), out);
        } else if let Some(pi) = child.pi() {
            out.extend_from_slice(b"<?");
            out.extend_from_slice(pi.target.as_bytes());
            if let Some(value) = pi.value.filter(|v| !v.is_empty()) {
                out.push(b' ');
                out.extend_from_slice(value.as_bytes());
            }
            out.extend_from_slice(b"?>");
        }
        // Comments are not part of the canonical form.
    }
    rendered.truncate(mark);

    out.extend_from_slice(b"</");
    out.extend_from_slice(qname.as_bytes());
    out.push(b'>');
    Ok(())
}

/// The element's qualified name as written (roxmltree keeps positions, not prefixes).
fn element_qname<'a>(source: &'a str, node: Node<'_, '_>) -> &'a str {
    let start = node.range().start + 1; // after '<'
    let rest = &source[start..];
    let end = rest.find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/').unwrap_or(rest.len());
    &rest[..end]
}

fn prefix_of(qname: &str) -> &str {
    qname.split_once(':').map(|(p, _)| p).unwrap_or("")
}

/// The namespace URI `prefix` ("" for the default namespace) is bound to at `node`, if any.
fn in_scope<'a>(node: Node<'a, '_>, prefix: &str) -> Option<&'a str> {
    node.namespaces()
        .find(|ns| ns.name().unwrap_or("") == prefix)
        .map(|ns| ns.uri())
        .filter(|uri| !(prefix.is_empty() && uri.is_empty()))
}

fn escape_text(text: &str, out: &mut Vec<u8>) {
    for c in text.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

fn escape_attr(value: &str, out: &mut Vec<u8>) {
    for c in value.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '"' => out.extend_from_slice(b"&quot;"),
            '\t' => out.extend_from_slice(b"&#x9;"),
            '\n' => out.extend_from_slice(b"&#xA;"),
            '\r' => out.extend_from_slice(b"&#xD;"),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(xml: &str, exclude_local: Option<&str>, inclusive: &[&str]) -> String {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let root = doc.root_element();
        let exclude = exclude_local.and_then(|l| root.descendants().find(|n| n.tag_name().name() == l));
        let inclusive: Vec<String> = inclusive.iter().map(|s| s.to_string()).collect();
        String::from_utf8(canonicalize(xml, root, exclude, &inclusive).unwrap()).unwrap()
    }

    #[test]
    fn unused_namespaces_go_and_used_ones_move_to_the_first_user() {
        let xml = r#"<a:Root xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c"><b:Child  z="1" a:y="2" x="3"/><!-- gone --><c:X>t&amp;&lt;&gt;</c:X></a:Root>"#;
        assert_eq!(
            c14n(xml, None, &[]),
            r#"<a:Root xmlns:a="urn:a"><b:Child xmlns:b="urn:b" x="3" z="1" a:y="2"></b:Child><c:X xmlns:c="urn:c">t&amp;&lt;&gt;</c:X></a:Root>"#
        );
    }

    #[test]
    fn the_default_namespace_is_undone_only_when_rendered() {
        let xml = r#"<Root xmlns="urn:d"><x:In xmlns:x="urn:x"><Plain xmlns=""/></x:In></Root>"#;
        assert_eq!(
            c14n(xml, None, &[]),
            r#"<Root xmlns="urn:d"><x:In xmlns:x="urn:x"><Plain xmlns=""></Plain></x:In></Root>"#
        );
        let xml = r#"<Root><Plain xmlns=""/></Root>"#;
        assert_eq!(c14n(xml, None, &[]), r#"<Root><Plain></Plain></Root>"#);
    }

    #[test]
    fn the_excluded_element_and_inclusive_prefixes() {
        let xml = r#"<r xmlns:xs="urn:xs" xmlns:q="urn:q"><Sig>secret</Sig><v q:t="xs:string">1</v></r>"#;
        assert_eq!(
            c14n(xml, Some("Sig"), &["xs"]),
            r#"<r xmlns:xs="urn:xs"><v xmlns:q="urn:q" q:t="xs:string">1</v></r>"#
        );
    }

    #[test]
    fn attribute_values_are_escaped() {
        let xml = "<r a=\"&quot;&#9;&#10;&#13;&lt;&amp;&gt;\"/>";
        assert_eq!(c14n(xml, None, &[]), "<r a=\"&quot;&#x9;&#xA;&#xD;&lt;&amp;>\"></r>");
    }
}
