//! Splits a JSON array read from a byte stream into its elements, one at a time, without
//! holding the array in memory and without parsing the elements.
//!
//! `serde_json`'s `StreamDeserializer` reads a *sequence* of values, not the elements of one
//! array, and a `SeqAccess` visitor would abort the whole array on the first element of the
//! wrong shape. This splitter only tracks strings, escapes and nesting depth, hands each
//! element's bytes to the caller, and leaves parsing (and the decision what a malformed element
//! means) to it. Syntax errors *between* elements, an array that never closes, and anything but
//! white space after it are errors: a truncated download must never look like a short array.

use std::io::{self, BufRead};

/// Reads the elements of one top-level JSON array.
pub(crate) struct ArraySplitter<R> {
    reader: R,
    state: State,
    element: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `[`.
    Start,
    /// After `[` or `,`: the next element (or `]` after `[`).
    BeforeElement { first: bool },
    /// After the closing `]`.
    Done,
}

impl<R: BufRead> ArraySplitter<R> {
    /// A splitter over `reader`, which must yield one JSON array.
    pub(crate) fn new(reader: R) -> Self {
        Self {
            reader,
            state: State::Start,
            element: Vec::with_capacity(4096),
        }
    }

    /// The next element's bytes (valid until the next call), or `None` after the array closed
    /// and the input ended with nothing but white space.
    pub(crate) fn next_element(&mut self) -> io::Result<Option<&[u8]>> {
        loop {
            match self.state {
                State::Start => {
                    let byte = self
                        .next_significant()?
                        .ok_or_else(|| invalid("the body is empty; expected a JSON array"))?;
                    if byte != b'[' {
                        return Err(invalid("the body is not a JSON array"));
                    }
                    self.state = State::BeforeElement { first: true };
                }
                State::BeforeElement { first } => {
                    let byte = self
                        .peek_significant()?
                        .ok_or_else(|| truncated("the array is not closed"))?;
                    if byte == b']' && first {
                        self.consume(1);
                        self.finish()?;
                        return Ok(None);
                    }
                    let end = self.read_element()?;
                    self.state = if end == b']' {
                        State::Done
                    } else {
                        State::BeforeElement { first: false }
                    };
                    return Ok(Some(&self.element));
                }
                State::Done => {
                    self.finish()?;
                    return Ok(None);
                }
            }
        }
    }

    /// Reads one element into `self.element` up to and including its terminator (`,` or `]`,
    /// which is returned and not kept).
    fn read_element(&mut self) -> io::Result<u8> {
        self.element.clear();
        let mut depth: u32 = 0;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Err(truncated("the input ended inside an array element"));
            }
            let mut index = 0;
            let mut terminator = None;
            while index < buf.len() {
                let byte = buf[index];
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if byte == b'\\' {
                        escaped = true;
                    } else if byte == b'"' {
                        in_string = false;
                    } else {
                        // Skip to the next quote or backslash in one go.
                        let rest = &buf[index..];
                        index += rest
                            .iter()
                            .position(|&b| b == b'"' || b == b'\\')
                            .unwrap_or(rest.len());
                        continue;
                    }
                } else {
                    match byte {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' if depth > 0 => depth -= 1,
                        b',' | b']' if depth == 0 => {
                            terminator = Some(byte);
                            break;
                        }
                        b'}' => return Err(invalid("unbalanced `}` in the array")),
                        _ => {}
                    }
                }
                index += 1;
            }
            if let Some(end) = terminator {
                self.element.extend_from_slice(&buf[..index]);
                self.reader.consume(index + 1);
                trim_end(&mut self.element);
                if self.element.is_empty() {
                    return Err(invalid("an empty array element"));
                }
                return Ok(end);
            }
            let len = buf.len();
            self.element.extend_from_slice(buf);
            self.reader.consume(len);
        }
    }

    /// After `]`: only white space may follow. Reading to the end also makes a gzip decoder
    /// check its trailer, so a truncated archive is caught here.
    fn finish(&mut self) -> io::Result<()> {
        self.state = State::Done;
        if self.next_significant()?.is_some() {
            return Err(invalid("data after the end of the array"));
        }
        Ok(())
    }

    fn consume(&mut self, amount: usize) {
        self.reader.consume(amount);
    }

    /// The next non-white-space byte, consumed.
    fn next_significant(&mut self) -> io::Result<Option<u8>> {
        let byte = self.peek_significant()?;
        if byte.is_some() {
            self.reader.consume(1);
        }
        Ok(byte)
    }

    /// The next non-white-space byte, not consumed (white space before it is).
    fn peek_significant(&mut self) -> io::Result<Option<u8>> {
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            if let Some(index) = buf.iter().position(|byte| !byte.is_ascii_whitespace()) {
                let byte = buf[index];
                self.reader.consume(index);
                return Ok(Some(byte));
            }
            let len = buf.len();
            self.reader.consume(len);
        }
    }
}

fn trim_end(bytes: &mut Vec<u8>) {
    while bytes.last().is_some_and(u8::is_ascii_whitespace) {
        bytes.pop();
    }
    let start = bytes
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if start > 0 {
        bytes.drain(..start);
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

fn truncated(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, message.to_owned())
}

/// Splits a JSON array held in memory and parses each element on its own with `parse`, so that
/// one malformed element becomes one `Malformed` entry rather than spoiling the rest.
pub(crate) fn parse_each<R>(
    body: &[u8],
    parse: impl Fn(&[u8]) -> super::Parsed<R>,
) -> Result<Vec<super::Parsed<R>>, String> {
    let mut splitter = ArraySplitter::new(io::BufReader::new(body));
    let mut parsed = Vec::new();
    while let Some(element) = splitter
        .next_element()
        .map_err(|error| super::http::error_chain(&error))?
    {
        parsed.push(parse(element));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use super::*;

    fn split(input: &str, capacity: usize) -> io::Result<Vec<String>> {
        let mut splitter = ArraySplitter::new(BufReader::with_capacity(capacity, input.as_bytes()));
        let mut out = Vec::new();
        while let Some(element) = splitter.next_element()? {
            out.push(String::from_utf8_lossy(element).into_owned());
        }
        Ok(out)
    }

    #[test]
    fn splits_elements_across_buffer_boundaries() {
        let input = r#" [ {"a":"x,]}\"y","b":[1,{"c":2}]} , {"d":null},3,"s]" ] "#;
        for capacity in [1, 2, 3, 7, 64] {
            let elements = split(input, capacity).unwrap_or_default();
            assert_eq!(
                elements,
                [
                    r#"{"a":"x,]}\"y","b":[1,{"c":2}]}"#,
                    r#"{"d":null}"#,
                    "3",
                    r#""s]""#
                ],
                "capacity {capacity}"
            );
        }
    }

    #[test]
    fn empty_array_is_empty() {
        assert_eq!(split("[]", 8).ok(), Some(vec![]));
        assert_eq!(split(" [ \n ] \n", 1).ok(), Some(vec![]));
    }

    #[test]
    fn truncation_and_garbage_are_errors() {
        let cases = [
            ("", io::ErrorKind::InvalidData),
            ("{}", io::ErrorKind::InvalidData),
            (r#"[{"a":1}"#, io::ErrorKind::UnexpectedEof),
            (r#"[{"a":1},{"b":"#, io::ErrorKind::UnexpectedEof),
            (r#"[{"a":1}] x"#, io::ErrorKind::InvalidData),
            ("[1,,2]", io::ErrorKind::InvalidData),
            ("[1}]", io::ErrorKind::InvalidData),
        ];
        for (input, kind) in cases {
            let error = split(input, 4).err().map(|error| error.kind());
            assert_eq!(error, Some(kind), "{input:?}");
        }
    }
}
