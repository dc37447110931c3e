//! The timeline: an answer strip (each window's own verdict), one row per
//! label (probability as colour intensity; faint values left out so they
//! do not read as noise), a time axis and, with a target, the target's
//! probability with takeovers marked.
//!
//! Following the song, the axis is song time from 0 to the furthest part
//! played, with the playhead; parts not played are empty. As a listening
//! history it shows the last [`MAX_HISTORY_SPAN_S`] and scrolls. Extra
//! height goes to the label rows.

use egui::{Align2, Color32, FontId, Painter, Rect, RichText, Sense, Stroke, Ui, Vec2, pos2};
use genre_core::verdict::Status;

use super::format_duration;
use super::palette::{NEUTRAL, PANEL, SILENT, TEXT_STRONG, TEXT_WEAK, WARNING, blend, muted};
use super::view::{Cell, cell};
use crate::worker::Snapshot;

/// Smallest height of the whole timeline (heading to axis).
pub const MIN_HEIGHT: f32 = 230.0;
/// Height of the heading line.
const HEADING_HEIGHT: f32 = 24.0;
/// Height of the answer strip.
const STRIP_HEIGHT: f32 = 18.0;
/// Label rows are at least and at most this high.
const MIN_ROW_HEIGHT: f32 = 15.0;
const MAX_ROW_HEIGHT: f32 = 40.0;
/// Height of the target row.
const TARGET_ROW_HEIGHT: f32 = 26.0;
/// Width reserved for the row names.
const NAME_WIDTH: f32 = 86.0;
/// Height of the time axis with its labels.
const AXIS_HEIGHT: f32 = 20.0;
/// Size of row names and axis labels.
const LABEL_SIZE: f32 = 14.0;
/// The strip always spans at least this much time, so a fresh timeline does not stretch.
const MIN_SPAN_S: f32 = 60.0;
/// A history shows at most this much of its latest time.
pub const MAX_HISTORY_SPAN_S: f32 = 600.0;
/// Probabilities below this are not drawn in the label rows.
const MIN_DRAWN_PROBABILITY: f32 = 0.12;
/// Candidate tick spacings.
const TICK_STEPS_S: [f32; 11] = [
    5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
];

/// Draws the timeline of `snapshot` in `height` (at least [`MIN_HEIGHT`]).
pub fn draw(
    ui: &mut Ui,
    snapshot: &Snapshot,
    colors: &[Color32],
    target_idx: Option<usize>,
    height: f32,
) {
    let num_labels = snapshot.labels.len();
    heading(ui, snapshot);
    let target_height = if target_idx.is_some() {
        TARGET_ROW_HEIGHT + 4.0
    } else {
        0.0
    };
    let rows_height =
        (height - HEADING_HEIGHT - STRIP_HEIGHT - 4.0 - target_height - AXIS_HEIGHT).max(0.0);
    let row_height = (rows_height / num_labels.max(1) as f32).clamp(MIN_ROW_HEIGHT, MAX_ROW_HEIGHT);
    let width = ui.available_width().max(NAME_WIDTH + 100.0);
    let (rect, _) = ui.allocate_exact_size(
        Vec2::new(
            width,
            STRIP_HEIGHT
                + 4.0
                + row_height * num_labels.max(1) as f32
                + target_height
                + AXIS_HEIGHT,
        ),
        Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    let left = rect.left() + NAME_WIDTH;
    let strip = Rect::from_min_size(
        pos2(left, rect.top()),
        Vec2::new(width - NAME_WIDTH, STRIP_HEIGHT),
    );
    let rows = Rect::from_min_size(
        pos2(left, strip.bottom() + 4.0),
        Vec2::new(strip.width(), row_height * num_labels.max(1) as f32),
    );
    painter.rect_filled(strip, 0.0, PANEL);
    painter.rect_filled(rows, 0.0, PANEL);
    let name_font = FontId::proportional(LABEL_SIZE);
    painter.text(
        pos2(rect.left(), strip.center().y),
        Align2::LEFT_CENTER,
        "answer",
        name_font.clone(),
        TEXT_STRONG,
    );
    if num_labels == 0 {
        return;
    }
    for (idx, label) in snapshot.labels.iter().enumerate() {
        painter.text(
            pos2(rect.left(), rows.top() + (idx as f32 + 0.5) * row_height),
            Align2::LEFT_CENTER,
            label,
            name_font.clone(),
            TEXT_STRONG,
        );
    }
    let target_row = Rect::from_min_size(
        pos2(left, rows.bottom() + 4.0),
        Vec2::new(rows.width(), TARGET_ROW_HEIGHT),
    );
    if let Some(target) = target_idx {
        painter.rect_filled(target_row, 0.0, PANEL);
        painter.text(
            pos2(rect.left(), target_row.center().y),
            Align2::LEFT_CENTER,
            format!("{}?", snapshot.labels[target]),
            name_font.clone(),
            TEXT_STRONG,
        );
    }

    let axis = Axis::of(snapshot, strip.width());
    let entry_width = (axis.hop_s * axis.px_per_s).max(1.0);
    // More entries than pixels: draw one entry per pixel column.
    let stride = ((1.0 / (axis.hop_s * axis.px_per_s)).floor() as usize).max(1);
    let color_of = |idx: usize| colors.get(idx).copied().unwrap_or(NEUTRAL);
    for pos in (axis.first_pos..snapshot.timeline_kinds.len()).step_by(stride) {
        let x = left + axis.x_of_pos(pos);
        let column =
            |r: Rect| Rect::from_min_max(pos2(x, r.top()), pos2(x + entry_width, r.bottom()));
        match cell(snapshot, pos) {
            Cell::Empty => {}
            Cell::Silent => {
                let c = column(strip).shrink2(Vec2::new(0.0, STRIP_HEIGHT * 0.4));
                painter.rect_filled(c, 0.0, SILENT);
                hatch(&painter, column(rows), SILENT);
            }
            Cell::PartlySilent => {
                let c = column(strip).shrink2(Vec2::new(0.0, STRIP_HEIGHT * 0.3));
                painter.rect_filled(c, 0.0, SILENT);
            }
            Cell::Failed => {
                painter.rect_filled(column(strip), 0.0, WARNING);
            }
            Cell::Classified {
                status,
                top,
                probability: _,
            } => {
                let answer = match status {
                    Status::Ok => color_of(top),
                    Status::Uncertain => muted(color_of(top)),
                    _ => NEUTRAL,
                };
                let c = match status {
                    // A guess fills half the strip: visibly not a firm answer.
                    Status::Uncertain => column(strip).shrink2(Vec2::new(0.0, STRIP_HEIGHT * 0.25)),
                    _ => column(strip),
                };
                painter.rect_filled(c, 0.0, answer);
                let bytes = &snapshot.timeline[pos * num_labels..(pos + 1) * num_labels];
                for (idx, &byte) in bytes.iter().enumerate() {
                    let p = f32::from(byte) / 255.0;
                    if p < MIN_DRAWN_PROBABILITY {
                        continue;
                    }
                    let amount =
                        0.3 + 0.7 * ((p - MIN_DRAWN_PROBABILITY) / (1.0 - MIN_DRAWN_PROBABILITY));
                    let cell = Rect::from_min_size(
                        pos2(x, rows.top() + idx as f32 * row_height),
                        Vec2::new(entry_width, row_height - 1.0),
                    );
                    painter.rect_filled(cell, 0.0, blend(PANEL, color_of(idx), amount));
                }
                if let Some(target) = target_idx {
                    target_bar(
                        &painter,
                        target_row,
                        x,
                        entry_width,
                        bytes,
                        target,
                        color_of(target),
                    );
                }
            }
        }
    }
    if let Some(position_s) = snapshot.position_s.filter(|_| snapshot.is_playing) {
        let x = left + (position_s as f32 - axis.start_s) * axis.px_per_s;
        if x >= left && x <= rows.right() {
            painter.line_segment(
                [pos2(x, strip.top()), pos2(x, rows.bottom())],
                Stroke::new(1.5, TEXT_STRONG),
            );
        }
    }
    let axis_top = rows.bottom() + target_height;
    axis.draw(&painter, left, strip.right(), axis_top);
}

/// The heading: what the axis is, and what the strip's marks mean.
fn heading(ui: &mut Ui, snapshot: &Snapshot) {
    ui.horizontal(|ui| {
        ui.set_height(HEADING_HEIGHT - 4.0);
        ui.label(RichText::new("Timeline").strong().color(TEXT_STRONG));
        let what = if snapshot.follows_song {
            "follows the song position; replayed parts are updated"
        } else {
            "listening history (the host reports no song position)"
        };
        ui.label(RichText::new(what).color(TEXT_WEAK));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            for (text, color, fraction) in [
                ("silent", SILENT, 0.2),
                ("not music", NEUTRAL, 1.0),
                ("uncertain", muted(TEXT_STRONG), 0.5),
                ("confident", TEXT_STRONG, 1.0),
            ] {
                ui.label(RichText::new(text).color(TEXT_WEAK));
                let (r, _) = ui.allocate_exact_size(Vec2::new(14.0, 14.0), Sense::hover());
                let r = r.shrink2(Vec2::new(0.0, 7.0 * (1.0 - fraction)));
                ui.painter().rect_filled(r, 0.0, color);
            }
        });
    });
}

/// Diagonal lines across `rect`: a stretch with nothing to classify.
fn hatch(painter: &Painter, rect: Rect, color: Color32) {
    const SPACING: f32 = 8.0;
    let painter = painter.with_clip_rect(rect.intersect(painter.clip_rect()));
    let stroke = Stroke::new(1.0, blend(PANEL, color, 0.8));
    // Lines x − y = c, on a grid anchored to the screen so columns line up.
    let first = ((rect.left() - rect.bottom()) / SPACING).floor() as i64;
    let last = ((rect.right() - rect.top()) / SPACING).ceil() as i64;
    for k in first..=last {
        let c = k as f32 * SPACING;
        painter.line_segment(
            [
                pos2(rect.top() + c, rect.top()),
                pos2(rect.bottom() + c, rect.bottom()),
            ],
            stroke,
        );
    }
}

/// The target's probability as a bar, with a mark when another genre leads.
fn target_bar(
    painter: &Painter,
    row: Rect,
    x: f32,
    width: f32,
    bytes: &[u8],
    target: usize,
    color: Color32,
) {
    let p = f32::from(bytes[target]) / 255.0;
    let height = p * (TARGET_ROW_HEIGHT - 4.0);
    let bar = Rect::from_min_max(
        pos2(x, row.bottom() - height),
        pos2(x + width, row.bottom()),
    );
    painter.rect_filled(bar, 0.0, color);
    let max_other = bytes
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != target)
        .map(|(_, &b)| b)
        .max()
        .unwrap_or(0);
    if max_other > bytes[target] {
        let mark = Rect::from_min_size(pos2(x, row.top()), Vec2::new(width, 4.0));
        painter.rect_filled(mark, 0.0, WARNING);
    }
}

/// Where entries go across the strip.
struct Axis {
    /// Time at the strip's left edge, in seconds (song or listening time).
    start_s: f32,
    /// Time the strip spans.
    span_s: f32,
    px_per_s: f32,
    hop_s: f32,
    /// Kept entries before this one are scrolled out of a history's view.
    first_pos: usize,
    /// Time of kept entry 0.
    first_entry_s: f32,
}

impl Axis {
    fn of(snapshot: &Snapshot, width: f32) -> Self {
        let hop_s = if snapshot.hop_s > 0.0 {
            snapshot.hop_s
        } else {
            1.0
        };
        let num_entries = snapshot.timeline_kinds.len();
        let first_entry_s = snapshot.timeline_first as f32 * hop_s;
        let (start_s, span_s, first_pos) = if snapshot.follows_song {
            let end_s = (first_entry_s + num_entries as f32 * hop_s)
                .max(snapshot.position_s.unwrap_or(0.0) as f32);
            (0.0, (end_s * 1.02).max(MIN_SPAN_S), 0)
        } else {
            let max_entries = (MAX_HISTORY_SPAN_S / hop_s) as usize;
            let first_pos = num_entries.saturating_sub(max_entries);
            let start_s = first_entry_s + first_pos as f32 * hop_s;
            let span_s = ((num_entries - first_pos) as f32 * hop_s).max(MIN_SPAN_S);
            (start_s, span_s, first_pos)
        };
        Self {
            start_s,
            span_s,
            px_per_s: width / span_s,
            hop_s,
            first_pos,
            first_entry_s,
        }
    }

    /// The x offset of kept entry `pos` from the strip's left edge.
    fn x_of_pos(&self, pos: usize) -> f32 {
        (self.first_entry_s + pos as f32 * self.hop_s - self.start_s) * self.px_per_s
    }

    fn draw(&self, painter: &Painter, left: f32, right: f32, top: f32) {
        painter.line_segment(
            [pos2(left, top), pos2(right, top)],
            Stroke::new(1.0, TEXT_WEAK),
        );
        let step_s = TICK_STEPS_S
            .iter()
            .copied()
            .find(|step| self.span_s / step <= 8.0)
            .unwrap_or(7200.0);
        // Ticks at round times, whatever the start.
        let mut tick_s = (self.start_s / step_s).ceil() * step_s;
        while tick_s <= self.start_s + self.span_s + 1e-3 {
            let x = left + (tick_s - self.start_s) * self.px_per_s;
            painter.line_segment(
                [pos2(x, top), pos2(x, top + 4.0)],
                Stroke::new(1.0, TEXT_WEAK),
            );
            let align = if x - left < 20.0 {
                Align2::LEFT_TOP
            } else if right - x < 20.0 {
                Align2::RIGHT_TOP
            } else {
                Align2::CENTER_TOP
            };
            painter.text(
                pos2(x, top + 4.0),
                align,
                format_duration(tick_s),
                FontId::proportional(LABEL_SIZE - 1.0),
                TEXT_WEAK,
            );
            tick_s += step_s;
        }
    }
}
