//! A rough `text/html` -> text reduction for showing mail in a console.

/// Drops tags, `<script>`/`<style>` content and comments, turns block tags
/// and `<br>` into line breaks, decodes common entities, trims lines.
pub(crate) fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_text(rest.get(..lt).unwrap_or_default(), &mut out);
        let tail = rest.get(lt..).unwrap_or_default();
        if let Some(after) = tail.strip_prefix("<!--") {
            rest = after
                .find("-->")
                .and_then(|e| after.get(e + 3..))
                .unwrap_or("");
            continue;
        }
        let end = tail.find('>').map_or(tail.len(), |e| e + 1);
        let tag = tail
            .get(1..end.saturating_sub(1).max(1))
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        rest = tail.get(end..).unwrap_or_default();
        if (name == "script" || name == "style") && !tag.starts_with('/') {
            let close = format!("</{name}");
            rest = match find_ignore_case(rest, &close) {
                Some(p) => rest
                    .get(p..)
                    .and_then(|r| r.find('>').and_then(|e| r.get(e + 1..)))
                    .unwrap_or(""),
                None => "",
            };
            continue;
        }
        if matches!(
            name.as_str(),
            "br" | "p"
                | "div"
                | "tr"
                | "li"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "table"
                | "blockquote"
        ) {
            out.push('\n');
        }
    }
    push_text(rest, &mut out);
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    let mut text = String::with_capacity(out.len());
    let mut blank = true;
    for line in lines {
        if line.is_empty() {
            if !blank {
                text.push('\n');
            }
            blank = true;
        } else {
            if !text.is_empty() && (!blank || !text.ends_with('\n')) {
                text.push('\n');
            }
            text.push_str(line);
            blank = false;
        }
    }
    text.trim().to_string()
}

/// Byte offset of `needle` (ASCII) in `hay`, ignoring ASCII case; linear.
fn find_ignore_case(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let first = *n.first()?;
    memchr::memchr_iter(first, h).find(|&i| {
        h.get(i..i + n.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(n))
    })
}

fn push_text(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        push_ws(rest.get(..amp).unwrap_or_default(), out);
        let tail = rest.get(amp..).unwrap_or_default();
        let semi = tail.find(';').filter(|&p| p <= 10);
        let decoded = semi.and_then(|p| entity(tail.get(1..p).unwrap_or_default()));
        match (semi, decoded) {
            (Some(p), Some(c)) => {
                out.push(c);
                rest = tail.get(p + 1..).unwrap_or_default();
            }
            _ => {
                out.push('&');
                rest = tail.get(1..).unwrap_or_default();
            }
        }
    }
    push_ws(rest, out);
}

fn push_ws(s: &str, out: &mut String) {
    for c in s.chars() {
        if c.is_whitespace() {
            if !out.ends_with([' ', '\n']) && !out.is_empty() {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" | "#39" => Some('\''),
        "nbsp" => Some(' '),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduces_common_html() {
        assert_eq!(
            to_text("<p>Hello <b>world</b></p><p>Second&nbsp;line &lt;ok&gt; &#54620;</p>"),
            "Hello world\nSecond line <ok> 한"
        );
        assert_eq!(
            to_text("a<!-- hidden -->b<script>var x = '<p>';</script>c"),
            "abc"
        );
        assert_eq!(to_text("unclosed <b"), "unclosed");
        assert_eq!(to_text("AT&T"), "AT&T");
        assert_eq!(to_text("<STYLE>p{}</Style>x<SCRIPT>1</script >y"), "xy");
        // Many unclosed script tags stay linear.
        let hostile = "<script>".repeat(20_000);
        assert_eq!(to_text(&hostile), "");
    }
}
