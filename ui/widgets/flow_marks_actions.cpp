#include "ui/widgets/flow_marks_actions.h"

#include "core/flow/flow_store.h"
#include "ui/models/flow_marks.h"

#include <QAction>
#include <QInputDialog>
#include <QKeySequence>
#include <QMenu>
#include <QWidget>

#include <algorithm>

namespace ts::ui {

using flow::MarkColor;
using flow::Marks;

FlowMarksActions::FlowMarksActions(flow::FlowStore &store, Selection selection,
                                   QWidget *dialogParent)
    : QObject(dialogParent)
    , m_store(store)
    , m_selection(std::move(selection))
    , m_dialogParent(dialogParent)
{
    m_pin = new QAction(pinIcon(), tr("&Pin"), this);
    m_pin->setObjectName(QStringLiteral("pinAction"));
    m_pin->setCheckable(true);
    m_pin->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    m_pin->setToolTip(tr("Pin the selected flows (the filter's pinned finds them)"));
    // triggered, not toggled: the check mark only shows the selection's state.
    connect(m_pin, &QAction::triggered, this, [this] { togglePin(); });

    m_colorMenu = new QMenu(tr("&Highlight"), dialogParent);
    m_colorMenu->menuAction()->setObjectName(QStringLiteral("colorMenu"));
    m_colorMenu->setToolTipsVisible(true);
    m_colorMenu->menuAction()->setToolTip(
        tr("Tint the selected rows (the filter's color:red finds them)"));
    // Mnemonics unique in the row menu (which has Copy URL, Copy As, Compare, Delete…).
    // Ctrl+1 … Ctrl+7 in the menu's order; Ctrl+0 takes the colour off.
    for (int i = 1; i <= flow::kMarkColorCount; ++i) {
        const auto color = MarkColor(i % flow::kMarkColorCount); // None last
        QAction *action = m_colorMenu->addAction(swatchIcon(color), markColorLabel(color));
        if (color == MarkColor::None)
            m_colorMenu->insertSeparator(action);
        action->setObjectName(QStringLiteral("colorAction_")
                              + (color == MarkColor::None
                                     ? QStringLiteral("none")
                                     : QString::fromLatin1(flow::markColorName(color))));
        action->setCheckable(true);
        action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_0 + int(color))));
        connect(action, &QAction::triggered, this, [this, color] { setColor(color); });
        m_colors[std::size_t(color)] = action;
    }
    connect(m_colorMenu, &QMenu::aboutToShow, this, &FlowMarksActions::updateChecks);

    m_comment = new QAction(tr("Comme&nt\u2026"), this);
    m_comment->setObjectName(QStringLiteral("commentAction"));
    m_comment->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_M));
    m_comment->setToolTip(tr("Write a comment on the selected flows (the filter's comment:text)"));
    connect(m_comment, &QAction::triggered, this, [this] { editComment(); });

    m_editor = [this](const QString &current) -> std::optional<QString> {
        bool ok = false;
        const QString text = QInputDialog::getMultiLineText(
            m_dialogParent, tr("Comment"),
            tr("Your comment on the selected flows. It is saved with the session and in HAR "
               "exports; it is not sent anywhere."),
            current, &ok);
        if (!ok)
            return std::nullopt;
        return text;
    };
}

void FlowMarksActions::addTo(QMenu &menu)
{
    updateChecks();
    menu.addAction(m_pin);
    menu.addMenu(m_colorMenu);
    menu.addAction(m_comment);
}

void FlowMarksActions::addShortcutsTo(QWidget &widget)
{
    QList<QAction *> actions{m_pin, m_comment};
    for (QAction *color : m_colors)
        actions.append(color);
    for (QAction *action : actions) {
        // Only in the table: Ctrl+M or Ctrl+1 elsewhere (a text field) keep their meaning.
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        widget.addAction(action);
    }
}

const flow::Flow *FlowMarksActions::firstSelected() const
{
    for (const flow::FlowId id : m_selection()) {
        if (const flow::Flow *f = m_store.find(id))
            return f;
    }
    return nullptr;
}

void FlowMarksActions::updateChecks()
{
    const std::vector<flow::FlowId> ids = m_selection();
    bool allPinned = !ids.empty();
    std::optional<MarkColor> common;
    bool mixed = false;
    for (const flow::FlowId id : ids) {
        const flow::Flow *f = m_store.find(id);
        if (!f)
            continue;
        allPinned = allPinned && f->marks.pinned;
        if (!common)
            common = f->marks.color;
        else if (*common != f->marks.color)
            mixed = true;
    }
    m_pin->setChecked(allPinned);
    for (QAction *color : m_colors)
        color->setChecked(false);
    if (common && !mixed)
        m_colors[std::size_t(*common)]->setChecked(true);
    const bool any = !ids.empty();
    m_pin->setEnabled(any);
    m_colorMenu->setEnabled(any);
    m_comment->setEnabled(any);
}

void FlowMarksActions::togglePin()
{
    const std::vector<flow::FlowId> ids = m_selection();
    bool allPinned = !ids.empty();
    for (const flow::FlowId id : ids) {
        const flow::Flow *f = m_store.find(id);
        allPinned = allPinned && f && f->marks.pinned;
    }
    m_store.changeMarks(ids, [pin = !allPinned](Marks &m) { m.pinned = pin; });
    updateChecks();
}

void FlowMarksActions::setColor(MarkColor color)
{
    m_store.changeMarks(m_selection(), [color](Marks &m) { m.color = color; });
    updateChecks();
}

void FlowMarksActions::editComment()
{
    const std::vector<flow::FlowId> ids = m_selection();
    if (ids.empty())
        return;
    const flow::Flow *first = firstSelected();
    const QString current = first ? QString::fromStdString(first->marks.comment) : QString();
    const std::optional<QString> text = m_editor(current);
    if (!text)
        return;
    // Trailing blank lines are the dialog's, not the user's.
    std::string comment = text->toStdString();
    while (!comment.empty() && (comment.back() == '\n' || comment.back() == ' '))
        comment.pop_back();
    m_store.changeMarks(ids, [&comment](Marks &m) { m.comment = comment; });
}

} // namespace ts::ui
