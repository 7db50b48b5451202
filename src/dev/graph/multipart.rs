//! A `multipart/form-data` parser (RFC 7578) for uploads, fed the body in pieces.

/// A part's headers are a few lines.
const MAX_PART_HEADERS: usize = 16 * 1024;

/// The `boundary` parameter of a `multipart/form-data` content type.
pub(super) fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';').map(str::trim);
    let kind = params.next()?;
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

/// A part's headers, as far as uploads need them.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct PartHeaders {
    pub(super) name: String,
    pub(super) filename: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Event {
    Part(PartHeaders),
    Data(Vec<u8>),
    End,
}

#[derive(Debug, PartialEq, Eq)]
enum Phase {
    Preamble,
    AfterDelimiter,
    Headers,
    Body,
    Done,
}

/// A `multipart/form-data` parser (RFC 7578) fed the body in pieces of any size: it
/// never holds more than a piece and a delimiter's length, whatever the part's size.
pub(super) struct MultipartParser {
    /// `\r\n--boundary`.
    delimiter: Vec<u8>,
    buffer: Vec<u8>,
    phase: Phase,
}

impl MultipartParser {
    pub(super) fn new(boundary: &str) -> MultipartParser {
        MultipartParser {
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            // The first delimiter has no line break before it; this one makes it match.
            buffer: b"\r\n".to_vec(),
            phase: Phase::Preamble,
        }
    }

    pub(super) fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    pub(super) fn push(&mut self, input: &[u8]) -> Result<Vec<Event>, &'static str> {
        let mut events = Vec::new();
        if self.phase == Phase::Done {
            return Ok(events);
        }
        self.buffer.extend_from_slice(input);
        loop {
            match self.phase {
                Phase::Preamble => match find(&self.buffer, &self.delimiter) {
                    Some(at) => {
                        self.buffer.drain(..at + self.delimiter.len());
                        self.phase = Phase::AfterDelimiter;
                    }
                    None => {
                        let keep = self.delimiter.len() - 1;
                        let cut = self.buffer.len().saturating_sub(keep);
                        self.buffer.drain(..cut);
                        return Ok(events);
                    }
                },
                Phase::AfterDelimiter => {
                    if self.buffer.len() < 2 {
                        return Ok(events);
                    }
                    if self.buffer.starts_with(b"--") {
                        self.phase = Phase::Done;
                        self.buffer.clear();
                        events.push(Event::End);
                        return Ok(events);
                    }
                    if !self.buffer.starts_with(b"\r\n") {
                        return Err("a multipart boundary is not followed by a line break");
                    }
                    self.buffer.drain(..2);
                    self.phase = Phase::Headers;
                }
                Phase::Headers => {
                    let end = if self.buffer.starts_with(b"\r\n") {
                        Some((0, 2))
                    } else {
                        find(&self.buffer, b"\r\n\r\n").map(|at| (at, at + 4))
                    };
                    let Some((end, skip)) = end else {
                        if self.buffer.len() > MAX_PART_HEADERS {
                            return Err("a multipart part's headers are too long");
                        }
                        return Ok(events);
                    };
                    let headers = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
                    self.buffer.drain(..skip);
                    events.push(Event::Part(parse_part_headers(&headers)));
                    self.phase = Phase::Body;
                }
                Phase::Body => match find(&self.buffer, &self.delimiter) {
                    Some(at) => {
                        if at > 0 {
                            events.push(Event::Data(self.buffer[..at].to_vec()));
                        }
                        self.buffer.drain(..at + self.delimiter.len());
                        self.phase = Phase::AfterDelimiter;
                    }
                    None => {
                        // The tail may be the start of a delimiter: keep it for the next piece.
                        let keep = self.delimiter.len() - 1;
                        let safe = self.buffer.len().saturating_sub(keep);
                        if safe > 0 {
                            events.push(Event::Data(self.buffer.drain(..safe).collect()));
                        }
                        return Ok(events);
                    }
                },
                Phase::Done => return Ok(events),
            }
        }
    }
}

/// Where `needle` starts in `haystack`: a scan for its first byte (which is `\r`, rare in
/// most files), then a comparison, so that a 100 MB upload is scanned about once.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut at = 0;
    while at + needle.len() <= haystack.len() {
        at += haystack[at..].iter().position(|b| *b == first)?;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// `name` and `filename` from a part's `Content-Disposition` header; quoted values may
/// hold `;`.
fn parse_part_headers(headers: &str) -> PartHeaders {
    let mut part = PartHeaders {
        name: String::new(),
        filename: None,
    };
    for line in headers.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("content-disposition") {
            continue;
        }
        for (key, value) in disposition_params(value) {
            match key.to_ascii_lowercase().as_str() {
                "name" => part.name = value,
                "filename" => part.filename = Some(value),
                _ => {}
            }
        }
    }
    part
}

fn disposition_params(value: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        // Skip to the next parameter.
        while chars.peek().is_some_and(|c| *c == ';' || c.is_whitespace()) {
            chars.next();
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ';')).collect();
        if key.is_empty() && chars.peek().is_none() {
            return params;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            if chars.next_if_eq(&'"').is_some() {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => value.extend(chars.next()),
                        c => value.push(c),
                    }
                }
            } else {
                value = std::iter::from_fn(|| chars.next_if(|c| *c != ';')).collect();
            }
        }
        params.push((key.trim().to_string(), value.trim_end().to_string()));
    }
}

/// The upload parser without a server, for fuzzing (`fuzz/`): not part of the API.
pub(crate) mod fuzzing {
    use super::{Event, MultipartParser, multipart_boundary};

    /// A part as the parser reported it: its name, file name and data.
    pub(crate) type Part = (String, Option<String>, Vec<u8>);

    /// Parses `body`, sent with this `Content-Type`, in pieces of `piece` bytes (at least
    /// 1): `None` when the content type is not `multipart/form-data` with a boundary;
    /// else the parts, and whether the body was complete, or why it is refused.
    pub fn multipart(
        content_type: &str,
        body: &[u8],
        piece: usize,
    ) -> Option<Result<(Vec<Part>, bool), &'static str>> {
        let boundary = multipart_boundary(content_type)?;
        let mut parser = MultipartParser::new(&boundary);
        let mut parts: Vec<Part> = Vec::new();
        let mut ended = false;
        for chunk in body.chunks(piece.max(1)) {
            let events = match parser.push(chunk) {
                Ok(events) => events,
                Err(why) => return Some(Err(why)),
            };
            for event in events {
                match event {
                    Event::Part(headers) => {
                        parts.push((headers.name, headers.filename, Vec::new()))
                    }
                    Event::Data(data) => match parts.last_mut() {
                        Some(part) => part.2.extend(data),
                        None => panic!("data before any part"),
                    },
                    Event::End => ended = true,
                }
            }
        }
        Some(Ok((parts, ended && parser.is_done())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n\
        --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b \\\"c\\\".png\"\r\nContent-Type: image/png\r\n\r\n\
        PNG\r\n--XyQ\r\n-XyZ\r\n\r\nDATA\r\n--XyZ\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nimage/png\r\n--XyZ--\r\nepilogue";

    /// A part as the tests see it: name, file name, content.
    type Parsed = (String, Option<String>, Vec<u8>);

    fn parse_in_pieces(size: usize) -> (Vec<Parsed>, bool) {
        let mut parser = MultipartParser::new("XyZ");
        let mut parts: Vec<Parsed> = Vec::new();
        let mut ended = false;
        for piece in BODY.chunks(size) {
            for event in parser.push(piece).unwrap() {
                match event {
                    Event::Part(headers) => {
                        parts.push((headers.name, headers.filename, Vec::new()))
                    }
                    Event::Data(data) => parts.last_mut().unwrap().2.extend(data),
                    Event::End => ended = true,
                }
            }
        }
        (parts, ended && parser.is_done())
    }

    #[test]
    fn multipart_bodies_parse_alike_in_pieces_of_any_size() {
        let expected = vec![
            ("messaging_product".to_string(), None, b"whatsapp".to_vec()),
            (
                "file".to_string(),
                Some("a;b \"c\".png".to_string()),
                b"PNG\r\n--XyQ\r\n-XyZ\r\n\r\nDATA".to_vec(),
            ),
            ("type".to_string(), None, b"image/png".to_vec()),
        ];
        for size in [1, 2, 3, 7, 16, 100, BODY.len()] {
            assert_eq!(
                parse_in_pieces(size),
                (expected.clone(), true),
                "pieces of {size}"
            );
        }
        let mut parser = MultipartParser::new("XyZ");
        parser
            .push(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx")
            .unwrap();
        assert!(
            !parser.is_done(),
            "a body without its closing boundary is incomplete"
        );
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"abc\""),
            Some("abc".into())
        );
        assert_eq!(multipart_boundary("application/json"), None);
    }
}
