//! Horizontal probability bars, one per label.

use egui::{Align2, Color32, FontId, Sense, Stroke, Ui, Vec2, pos2};

use super::palette::{PANEL, TEXT_STRONG, TEXT_WEAK, blend, label_color};

/// Height of one bar row in logical pixels.
const ROW_HEIGHT: f32 = 19.0;
/// Width reserved for the label names.
const NAME_WIDTH: f32 = 78.0;
/// Width reserved for the percentage.
const VALUE_WIDTH: f32 = 44.0;

/// Draws `values` (0–1, one per label) as bars in the labels' `colors`;
/// the target's row is outlined.
pub fn draw(
    ui: &mut Ui,
    labels: &[String],
    colors: &[Color32],
    values: &[f32],
    target_idx: Option<usize>,
) {
    let width = ui.available_width().max(NAME_WIDTH + VALUE_WIDTH + 20.0);
    let num_rows = labels.len().max(1);
    let (rect, _) = ui.allocate_exact_size(
        Vec2::new(width, ROW_HEIGHT * num_rows as f32),
        Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    if labels.is_empty() {
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            "waiting for the model",
            FontId::proportional(14.0),
            TEXT_WEAK,
        );
        return;
    }
    let bar_left = rect.left() + NAME_WIDTH;
    let bar_width = (rect.width() - NAME_WIDTH - VALUE_WIDTH).max(10.0);
    for (idx, label) in labels.iter().enumerate() {
        let value = values.get(idx).copied().unwrap_or(0.0).clamp(0.0, 1.0);
        let top = rect.top() + idx as f32 * ROW_HEIGHT;
        let color = colors
            .get(idx)
            .copied()
            .unwrap_or_else(|| label_color(idx, labels.len()));
        let y_mid = top + ROW_HEIGHT * 0.5;
        painter.text(
            pos2(rect.left(), y_mid),
            Align2::LEFT_CENTER,
            label,
            FontId::proportional(14.0),
            TEXT_STRONG,
        );
        let track = egui::Rect::from_min_size(
            pos2(bar_left, top + 3.0),
            Vec2::new(bar_width, ROW_HEIGHT - 6.0),
        );
        painter.rect_filled(track, 2.0, PANEL);
        let mut filled = track;
        filled.set_width(bar_width * value);
        painter.rect_filled(filled, 2.0, blend(PANEL, color, 0.45 + 0.55 * value));
        if target_idx == Some(idx) {
            let outline = [
                track.left_top(),
                track.right_top(),
                track.right_bottom(),
                track.left_bottom(),
                track.left_top(),
            ];
            painter.add(egui::Shape::line(outline.to_vec(), Stroke::new(1.5, color)));
        }
        painter.text(
            pos2(rect.right(), y_mid),
            Align2::RIGHT_CENTER,
            format!("{:.0} %", value * 100.0),
            FontId::monospace(13.0),
            TEXT_WEAK,
        );
    }
}
