//! Message content on the wire and in the transcript: each line with
//! `show_data`, else one size note.

use mail_wire::Direction;

use super::{Driver, Link};
use crate::error::Error;

impl Driver {
    /// Writes the BDAT command and chunk of `size` bytes the core queued.
    pub(super) async fn write_chunk(
        &mut self,
        link: &mut impl Link,
        size: u64,
    ) -> Result<(), Error> {
        for shown in self.core.take_shown() {
            link.note(Direction::Client, &shown);
        }
        let out = self.core.take_output();
        let header = out
            .len()
            .saturating_sub(usize::try_from(size).unwrap_or(usize::MAX));
        link.write_raw(out.get(..header).unwrap_or_default())
            .await?;
        self.write_content(link, out.get(header..).unwrap_or_default())
            .await?;
        self.end_content(link, size, false);
        Ok(())
    }

    /// Writes message content (already stuffed or chunked); with
    /// `show_data` the transcript shows each complete line of it, escaped.
    pub(super) async fn write_content(
        &mut self,
        link: &mut impl Link,
        wire: &[u8],
    ) -> Result<(), Error> {
        link.write_raw(wire).await?;
        if !self.show_data || !link.has_transcript() {
            return Ok(());
        }
        let mut rest = wire;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.content_line
                .extend_from_slice(rest.get(..end).unwrap_or_default());
            if self.content_line.last() == Some(&b'\r') {
                self.content_line.pop();
            }
            link.note_bytes(Direction::Client, &self.content_line);
            self.content_line.clear();
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        self.content_line.extend_from_slice(rest);
        Ok(())
    }

    /// Ends a piece of content in the transcript: with `show_data` the
    /// rest of a line a BDAT chunk cut; otherwise a note of its size, and
    /// `.` for the end of DATA (whose terminator `show_data` has shown).
    pub(super) fn end_content(&mut self, link: &mut impl Link, bytes: u64, data_end: bool) {
        if self.show_data {
            if !self.content_line.is_empty() {
                link.note_bytes(Direction::Client, &self.content_line);
                self.content_line.clear();
            }
            return;
        }
        link.note(Direction::Client, &format!("<message body: {bytes} bytes>"));
        if data_end {
            link.note(Direction::Client, ".");
        }
    }
}
