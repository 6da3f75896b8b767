<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de" sourcelanguage="en">
<context>
    <name>ts::ui::FlowTableModel</name>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="182"/>
        <location filename="../ui/models/flow_table_model.cpp" line="183"/>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="226"/>
        <source>#</source>
        <translation>Nr.</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="228"/>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="230"/>
        <source>Client</source>
        <translation>Client</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="232"/>
        <source>Method</source>
        <translation>Methode</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="234"/>
        <source>Host</source>
        <translation>Host</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="236"/>
        <source>Path</source>
        <translation>Pfad</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="238"/>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="240"/>
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="242"/>
        <source>Duration</source>
        <translation>Dauer</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="244"/>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="261"/>
        <source>Response body bytes; for tunnels, bytes client to server (↑) and server to client (↓)</source>
        <translation>Bytes des Antwortkörpers; bei Tunneln die Bytes vom Client zum Server (↑) und vom Server zum Client (↓)</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="264"/>
        <source>From the request&apos;s arrival to the end of the response</source>
        <translation>Vom Eintreffen der Anfrage bis zum Ende der Antwort</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="266"/>
        <source>Client address and port</source>
        <translation>Adresse und Port des Clients</translation>
    </message>
    <message>
        <location filename="../ui/models/flow_table_model.cpp" line="275"/>
        <source>%1 B</source>
        <translation>%1 B</translation>
    </message>
</context>
<context>
    <name>ts::ui::MainWindow</name>
    <message>
        <location filename="../ui/main_window.cpp" line="38"/>
        <source>Tunnelscope</source>
        <translation>Tunnelscope</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="45"/>
        <source>Not listening</source>
        <translation>Lauscht nicht</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="46"/>
        <source>Listening on %1</source>
        <translation>Lauscht auf %1</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="99"/>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="108"/>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="109"/>
        <source>&amp;Export HAR…</source>
        <translation>HAR &amp;exportieren…</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="113"/>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="119"/>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="120"/>
        <source>&amp;Auto-scroll to new flows</source>
        <translation>&amp;Automatisch zu neuen Flows scrollen</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="130"/>
        <location filename="../ui/main_window.cpp" line="136"/>
        <source>Export HAR</source>
        <translation>HAR exportieren</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="131"/>
        <source>HTTP Archive (*.har);;All files (*)</source>
        <translation>HTTP-Archiv (*.har);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="140"/>
        <source>Exported to %1</source>
        <translation>Exportiert nach %1</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="146"/>
        <source>1 flow</source>
        <translation>1 Flow</translation>
    </message>
    <message>
        <location filename="../ui/main_window.cpp" line="147"/>
        <source>%1 flows</source>
        <translation>%1 Flows</translation>
    </message>
</context>
</TS>
