//! The timeline: one colour row per label, confidence as intensity, a time
//! axis, and (with a target) the target's probability with takeovers marked.

use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, Ui, Vec2, pos2};

use super::{BACKGROUND, TEXT_STRONG, TEXT_WEAK, WARNING, blend, format_duration, label_color};
use crate::worker::Snapshot;

/// Height of one label row.
const ROW_HEIGHT: f32 = 13.0;
/// Height of the target row.
const TARGET_ROW_HEIGHT: f32 = 26.0;
/// Width reserved for the label names.
const NAME_WIDTH: f32 = 78.0;
/// Height of the time axis with its labels.
const AXIS_HEIGHT: f32 = 18.0;
/// The strip always spans at least this much time, so a fresh timeline does not stretch.
const MIN_SPAN_S: f32 = 60.0;
/// Candidate tick spacings.
const TICK_STEPS_S: [f32; 10] = [
    5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
];

/// Draws the timeline of `snapshot`.
pub fn draw(ui: &mut Ui, snapshot: &Snapshot, target_idx: Option<usize>) {
    let num_labels = snapshot.labels.len();
    let target_height = if target_idx.is_some() {
        TARGET_ROW_HEIGHT + 4.0
    } else {
        0.0
    };
    let strip_height = ROW_HEIGHT * num_labels.max(1) as f32;
    let width = ui.available_width().max(NAME_WIDTH + 100.0);
    let (rect, _) = ui.allocate_exact_size(
        Vec2::new(width, strip_height + target_height + AXIS_HEIGHT),
        Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    let strip = Rect::from_min_size(
        pos2(rect.left() + NAME_WIDTH, rect.top()),
        Vec2::new(width - NAME_WIDTH, strip_height),
    );
    painter.rect_filled(strip, 0.0, Color32::from_rgb(32, 34, 39));
    if num_labels == 0 {
        return;
    }
    for (idx, label) in snapshot.labels.iter().enumerate() {
        painter.text(
            pos2(rect.left(), strip.top() + (idx as f32 + 0.5) * ROW_HEIGHT),
            Align2::LEFT_CENTER,
            label,
            FontId::proportional(11.5),
            TEXT_WEAK,
        );
    }

    let num_entries = snapshot.timeline.len() / num_labels;
    let hop_s = if snapshot.hop_s > 0.0 {
        snapshot.hop_s
    } else {
        1.0
    };
    let first_s = snapshot.timeline_num_dropped as f32 * hop_s;
    let span_s = (num_entries as f32 * hop_s).max(MIN_SPAN_S);
    let px_per_s = strip.width() / span_s;
    let entry_width = (hop_s * px_per_s).max(1.0);
    // More entries than pixels: draw one entry per pixel column.
    let stride = ((1.0 / (hop_s * px_per_s)).floor() as usize).max(1);
    let target_row = Rect::from_min_size(
        pos2(strip.left(), strip.bottom() + 4.0),
        Vec2::new(strip.width(), TARGET_ROW_HEIGHT),
    );
    if let Some(target) = target_idx {
        painter.rect_filled(target_row, 0.0, Color32::from_rgb(32, 34, 39));
        painter.text(
            pos2(rect.left(), target_row.center().y),
            Align2::LEFT_CENTER,
            format!("{}?", snapshot.labels[target]),
            FontId::proportional(11.0),
            TEXT_STRONG,
        );
    }
    for k in (0..num_entries).step_by(stride) {
        let entry = &snapshot.timeline[k * num_labels..(k + 1) * num_labels];
        let x = strip.left() + k as f32 * hop_s * px_per_s;
        for (idx, &byte) in entry.iter().enumerate() {
            if byte == 0 {
                continue;
            }
            let cell = Rect::from_min_size(
                pos2(x, strip.top() + idx as f32 * ROW_HEIGHT),
                Vec2::new(entry_width, ROW_HEIGHT - 1.0),
            );
            painter.rect_filled(
                cell,
                0.0,
                blend(
                    BACKGROUND,
                    label_color(idx, num_labels),
                    f32::from(byte) / 255.0,
                ),
            );
        }
        if let Some(target) = target_idx {
            let p = f32::from(entry[target]) / 255.0;
            let height = p * (TARGET_ROW_HEIGHT - 4.0);
            let bar = Rect::from_min_max(
                pos2(x, target_row.bottom() - height),
                pos2(x + entry_width, target_row.bottom()),
            );
            painter.rect_filled(bar, 0.0, label_color(target, num_labels));
            let max_other = entry
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != target)
                .map(|(_, &b)| b)
                .max()
                .unwrap_or(0);
            if max_other > entry[target] {
                let mark =
                    Rect::from_min_size(pos2(x, target_row.top()), Vec2::new(entry_width, 4.0));
                painter.rect_filled(mark, 0.0, WARNING);
            }
        }
    }

    // Time axis under everything.
    let axis_top = strip.bottom() + target_height;
    painter.line_segment(
        [pos2(strip.left(), axis_top), pos2(strip.right(), axis_top)],
        Stroke::new(1.0, TEXT_WEAK),
    );
    let step_s = TICK_STEPS_S
        .iter()
        .copied()
        .find(|step| span_s / step <= 8.0)
        .unwrap_or(3600.0);
    let mut tick_s = 0.0;
    while tick_s <= span_s + 1e-3 {
        let x = strip.left() + tick_s * px_per_s;
        painter.line_segment(
            [pos2(x, axis_top), pos2(x, axis_top + 4.0)],
            Stroke::new(1.0, TEXT_WEAK),
        );
        let align = if tick_s == 0.0 {
            Align2::LEFT_TOP
        } else if tick_s + step_s > span_s {
            Align2::RIGHT_TOP
        } else {
            Align2::CENTER_TOP
        };
        painter.text(
            pos2(x, axis_top + 4.0),
            align,
            format_duration(first_s + tick_s),
            FontId::proportional(10.5),
            TEXT_WEAK,
        );
        tick_s += step_s;
    }
}
