#pragma once

#include "core/engine/engine_config.h"
#include "core/engine/request_sender.h"

#include <QDateTime>
#include <QWidget>

#include <vector>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QStackedWidget;
class QTableWidget;

namespace ts::flow {
struct Flow;
}

namespace ts::ui {

// The request composer: a request made by hand (or taken from a captured flow) sent through the
// running engine (a client connection of the engine's own: the window opens no socket) with
// the chosen upstream chain, so it is recorded as a flow like any other; the response, its
// timings and a history of what was sent are shown here.
class ComposerPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ComposerPane)

public:
    // Which chain composed requests take.
    enum class ChainChoice {
        Direct,   // none
        ProxyOwn, // the engine's rules, as they are when the request goes
        Custom,   // the hops given
    };
    enum class BodyKind { None, Text, File, Form };

    struct HistoryEntry
    {
        engine::ComposedRequest request;
        QDateTime sentAt;
        int status = 0;     // 0: no response
        QString error;      // why there was none
        qint64 millis = -1; // the whole exchange
    };

    // `engine` carries the requests (null: Send says there is none); `mainConfig` is its
    // configuration, whose server verification the composer starts with.
    ComposerPane(engine::Engine *engine, engine::EngineConfig mainConfig,
                 QWidget *parent = nullptr);
    ~ComposerPane() override;

    // The request as the fields describe it now (the body read from its file, the form
    // encoded).
    engine::ComposedRequest request() const;
    // Fills the fields (the body as text).
    void setRequest(const engine::ComposedRequest &request);

    // Fills the pane from a captured flow: method, URL, headers without hop-by-hop and
    // pseudo-header fields, body, HTTP version. The body is sent with its recorded bytes as
    // long as its text is not edited.
    void editFlow(const flow::Flow &flow);
    // Sends a captured flow again as it was (and leaves it in the fields).
    void replayFlow(const flow::Flow &flow);

    void setBodyKind(BodyKind kind);
    void setBodyFile(const QString &path);
    void setFormFields(const QList<QPair<QString, QString>> &fields);
    void setChain(ChainChoice choice, const QStringList &hops = {});
    void setVerifyServers(bool verify);

    // Sends what the fields say; the response replaces the one shown.
    void send();
    // "Send N times": `count` copies, at most `concurrency` at once.
    void sendMany(int count, int concurrency);
    bool busy() const;

    const engine::ComposedResponse &lastResponse() const { return m_lastResponse; }
    const std::vector<HistoryEntry> &history() const { return m_history; }
    // The history as an opaque blob for the session file, and back. loadHistory replaces the
    // list; false (and nothing changed) when the blob cannot be read.
    QByteArray saveHistory() const;
    bool loadHistory(const QByteArray &blob);
    void clearHistory();

Q_SIGNALS:
    // A response (or a failure) was shown.
    void responseShown(const ts::engine::ComposedResponse &response);
    // A batch of Send N times finished.
    void batchFinished(int ok, int failed);
    void historyChanged();

private:
    void buildUi();
    // The chain and verification the fields choose, for the sender; false (and why) when the
    // hops do not parse.
    bool readOptions(QString &error);
    void dispatch(const engine::ComposedRequest &request, int count, int concurrency);
    void onFinished(int id, const engine::ComposedResponse &response);
    void showResponse(const engine::ComposedResponse &response);
    void addHistory(const engine::ComposedRequest &request);
    void refreshHistoryRow(std::size_t index);
    void showError(const QString &message);
    QByteArray bodyBytes(QString *error) const;
    static QList<QPair<QString, QString>> tableRows(const QTableWidget *table);
    static void setTableRows(QTableWidget *table, const QList<QPair<QString, QString>> &rows);

    engine::EngineConfig m_mainConfig;
    engine::RequestSender *m_sender = nullptr;

    QComboBox *m_method = nullptr;
    QLineEdit *m_url = nullptr;
    QComboBox *m_version = nullptr;
    QPushButton *m_send = nullptr;
    QPushButton *m_sendMany = nullptr;
    QSpinBox *m_count = nullptr;
    QSpinBox *m_concurrency = nullptr;
    QTableWidget *m_headers = nullptr;
    QComboBox *m_bodyKind = nullptr;
    QStackedWidget *m_bodyStack = nullptr;
    QPlainTextEdit *m_bodyText = nullptr;
    QLineEdit *m_bodyFile = nullptr;
    QTableWidget *m_form = nullptr;
    QButtonGroup *m_chainGroup = nullptr;
    QRadioButton *m_chainDirect = nullptr;
    QRadioButton *m_chainOwn = nullptr;
    QRadioButton *m_chainCustom = nullptr;
    QPlainTextEdit *m_hops = nullptr;
    QCheckBox *m_verify = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_timings = nullptr;
    QTableWidget *m_responseHeaders = nullptr;
    QPlainTextEdit *m_responseBody = nullptr;
    QListWidget *m_historyList = nullptr;

    // Body bytes taken from a flow: sent instead of the text while the text is unedited.
    QByteArray m_flowBody;
    bool m_haveFlowBody = false;

    engine::ComposedResponse m_lastResponse;
    std::vector<HistoryEntry> m_history;
    std::map<int, std::size_t> m_historyOf; // request id -> history entry
    int m_batchOk = 0;
    int m_batchFailed = 0;
    bool m_batch = false;
};

} // namespace ts::ui
