//! The file name of every message of the maildrop, kept compactly: all
//! names in one string and 12 bytes per message, so a maildrop of 100,000
//! messages costs a few MB, not one allocation per message.

use mail_pop3::MsgNum;

/// File names by message number.
#[derive(Debug, Default)]
pub struct NameTable {
    text: String,
    /// Message, start and end of its name in `text`; sorted by message
    /// once [`seal`](Self::seal)ed.
    entries: Vec<(MsgNum, u32, u32)>,
}

impl NameTable {
    /// Adds the name of `msg` (ignored if the table would pass 4 GiB).
    pub fn push(&mut self, msg: MsgNum, name: &str) {
        let start = self.text.len();
        let end = start + name.len();
        if let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(end)) {
            self.text.push_str(name);
            self.entries.push((msg, start, end));
        }
    }

    /// Sorts by message number (UIDL lists them in order already) and
    /// drops a repeated message number, keeping its first line.
    pub fn seal(&mut self) {
        self.entries.sort_by_key(|&(msg, ..)| msg);
        self.entries.dedup_by_key(|&mut (msg, ..)| msg);
        self.entries.shrink_to_fit();
    }

    /// How many messages.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    fn name_at(&self, start: u32, end: u32) -> &str {
        self.text
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    /// The name of `msg`.
    pub fn get(&self, msg: MsgNum) -> Option<&str> {
        let at = self.entries.binary_search_by_key(&msg, |&(m, ..)| m).ok()?;
        let &(_, start, end) = self.entries.get(at)?;
        Some(self.name_at(start, end))
    }

    /// Every message with its name, in message order.
    pub fn iter(&self) -> impl Iterator<Item = (MsgNum, &str)> {
        self.entries
            .iter()
            .map(|&(msg, start, end)| (msg, self.name_at(start, end)))
    }

    /// The messages whose name an earlier message already has (a server
    /// that repeats a UIDL): only the first may own the file.
    pub fn repeats(&self) -> Vec<MsgNum> {
        let mut order: Vec<u32> = (0..self.entries.len())
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        let key = |&i: &u32| {
            self.entries
                .get(i as usize)
                .map(|&(msg, start, end)| (self.name_at(start, end), msg))
        };
        order.sort_unstable_by(|a, b| key(a).cmp(&key(b)));
        let mut repeats: Vec<MsgNum> = order
            .windows(2)
            .filter_map(|pair| {
                let (first, second) = (key(pair.first()?)?, key(pair.get(1)?)?);
                (first.0 == second.0).then_some(second.1)
            })
            .collect();
        repeats.sort_unstable();
        repeats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_by_message_and_repeats_keep_the_first() {
        let mut table = NameTable::default();
        for (msg, name) in [
            (3, "c.eml"),
            (1, "a.eml"),
            (2, "b.eml"),
            (4, "a.eml"),
            (5, "a.eml"),
        ] {
            table.push(MsgNum(msg), name);
        }
        table.seal();
        assert_eq!(table.get(MsgNum(1)), Some("a.eml"));
        assert_eq!(table.get(MsgNum(3)), Some("c.eml"));
        assert_eq!(table.get(MsgNum(6)), None);
        assert_eq!(table.repeats(), vec![MsgNum(4), MsgNum(5)]);
        let order: Vec<u32> = table.iter().map(|(m, _)| m.0).collect();
        assert_eq!(order, [1, 2, 3, 4, 5]);
    }
}
