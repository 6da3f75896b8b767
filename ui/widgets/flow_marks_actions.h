#pragma once

#include "core/flow/flow.h"

#include <QObject>
#include <QString>

#include <array>
#include <functional>
#include <optional>
#include <vector>

class QAction;
class QMenu;
class QWidget;

namespace ts::flow {
class FlowStore;
}

namespace ts::ui {

// The row menu's Pin, Colour and Comment… with their keys: they change the marks of the flows
// the selection callback names (the table's selected rows) through FlowStore::changeMarks.
class FlowMarksActions final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FlowMarksActions)

public:
    using Selection = std::function<std::vector<flow::FlowId>()>;
    // Asks for a comment, given the current one; nullopt when cancelled. The default is a
    // multi-line input dialog; tests put their own.
    using CommentEditor = std::function<std::optional<QString>(const QString &current)>;

    // `dialogParent` parents the comment dialog; `selection` names the flows to act on.
    FlowMarksActions(flow::FlowStore &store, Selection selection, QWidget *dialogParent);

    QAction *pinAction() const { return m_pin; }
    QMenu *colorMenu() const { return m_colorMenu; }
    QAction *colorAction(flow::MarkColor color) const { return m_colors[std::size_t(color)]; }
    QAction *commentAction() const { return m_comment; }

    // Adds the three to a menu (the row menu), updated for the current selection first.
    void addTo(QMenu &menu);
    // Makes the keys work in `widget` (the table), and only there.
    void addShortcutsTo(QWidget &widget);
    void setCommentEditor(CommentEditor editor) { m_editor = std::move(editor); }

    // Pins the selected flows, or unpins them when all of them are pinned already.
    void togglePin();
    void setColor(flow::MarkColor color);
    void editComment();

private:
    // The pin's check mark and the colour menu's follow the selection.
    void updateChecks();
    const flow::Flow *firstSelected() const;

    flow::FlowStore &m_store;
    Selection m_selection;
    QWidget *m_dialogParent;
    CommentEditor m_editor;
    QAction *m_pin = nullptr;
    QMenu *m_colorMenu = nullptr;
    std::array<QAction *, flow::kMarkColorCount> m_colors{};
    QAction *m_comment = nullptr;
};

} // namespace ts::ui
