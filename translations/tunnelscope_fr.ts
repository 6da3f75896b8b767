<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr" sourcelanguage="en">
    <context>
        <name>BrowserLauncher</name>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="102" />
            <source>%1 did not finish</source>
            <translation>%1 ne s’est pas terminé à temps</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="106" />
            <source>%1 failed (exit code %2): %3</source>
            <translation>%1 a échoué (code de sortie %2) : %3</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="310" />
            <source>could not start %1: %2</source>
            <translation>impossible de démarrer %1 : %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="322" />
            <source>Could not launch %1: %2</source>
            <translation>Impossible de lancer %1 : %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="324" />
            <source>%1 started with the profile %2, through %3</source>
            <translation>%1 démarré avec le profil %2, via %3</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="358" />
            <source>%1 or certutil is not installed</source>
            <translation>%1 ou certutil n’est pas installé</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="364" />
            <source>cannot create a profile directory: %1</source>
            <translation>impossible de créer un dossier de profil : %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="372" />
            <source>cannot create %1/.pki/nssdb</source>
            <translation>impossible de créer %1/.pki/nssdb</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/browser_launcher.cpp" line="378" />
            <location filename="../ui/dialogs/browser_launcher.cpp" line="381" />
            <source>cannot write %1</source>
            <translation>impossible d’écrire %1</translation>
        </message>
    </context>
    <context>
        <name>Settings</name>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="20" />
            <source>A port is a whole number from 1 to 65535.</source>
            <translation>Un port est un nombre entier de 1 à 65535.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="27" />
            <source>Enter a whole number from %1 to %2.</source>
            <translation>Saisissez un nombre entier de %1 à %2.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="37" />
            <source>'re:' needs a regular expression after it.</source>
            <translation>« re: » doit être suivi d’une expression régulière.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="43" />
            <source>Not a valid regular expression: %1</source>
            <translation>Expression régulière non valide : %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="50" />
            <source>'%1' looks like a URL; write the host only, like *.example.com.</source>
            <translation>« %1 » ressemble à une URL ; indiquez seulement l’hôte, par exemple *.example.com.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="57" />
            <source>'%1' is not a host glob: use letters, digits, '-', '.', '*' and '?' (or re:REGEX).</source>
            <translation>« %1 » n’est pas un motif d’hôte : utilisez des lettres, des chiffres, « - », « . », « * » et « ? » (ou re:REGEX).</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="69" />
            <source>Enter a proxy URL, like http://127.0.0.1:3128.</source>
            <translation>Saisissez l’URL d’un proxy, par exemple http://127.0.0.1:3128.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="83" />
            <source>'%1' is not a rule: write HOST GLOBS = CHAIN, like *.corp.example = http://proxy:3128 or 10.* = direct.</source>
            <translation>« %1 » n’est pas une règle : écrivez MOTIFS D’HÔTE = CHAÎNE, par exemple *.corp.example = http://proxy:3128 ou 10.* = direct.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="158" />
            <source>Enter an address to listen on, like 127.0.0.1.</source>
            <translation>Saisissez une adresse d’écoute, par exemple 127.0.0.1.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="161" />
            <source>'%1' is not an IP address (127.0.0.1, ::1, 0.0.0.0 ...).</source>
            <translation>« %1 » n’est pas une adresse IP (127.0.0.1, ::1, 0.0.0.0 ...).</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="167" />
            <source>The HTTP listener already uses port %1.</source>
            <translation>Le port %1 est déjà utilisé par l’écoute HTTP.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="176" />
            <source>Line %1: %2</source>
            <translation>Ligne %1 : %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="184" />
            <source>One body cannot keep more than the memory budget (%1 KiB).</source>
            <translation>Un seul corps ne peut pas dépasser le budget mémoire (%1 Kio).</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="190" />
            <source>Choose system, light or dark.</source>
            <translation>Choisissez système, clair ou sombre.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="191" />
            <source>Hop %1: %2</source>
            <translation>Saut %1 : %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="195" />
            <source>A chain has at most %1 hops.</source>
            <translation>Une chaîne compte au plus %1 sauts.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings.cpp" line="200" />
            <source>Rule %1: %2</source>
            <translation>Règle %1 : %2</translation>
        </message>
    </context>
    <context>
        <name>SystemProxy</name>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="86" />
            <source>%1 failed: %2</source>
            <translation>%1 a échoué : %2</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="88" />
            <source>exit code %1</source>
            <translation>code de sortie %1</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="106" />
            <source>gsettings is not installed</source>
            <translation>gsettings n’est pas installé</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="122" />
            <source>gsettings cannot read %1: %2</source>
            <translation>gsettings ne peut pas lire %1 : %2</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="144" />
            <source>kwriteconfig5 and kreadconfig5 are not installed</source>
            <translation>kwriteconfig5 et kreadconfig5 ne sont pas installés</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="160" />
            <source>%1 cannot read %2: %3</source>
            <translation>%1 ne peut pas lire %2 : %3</translation>
        </message>
        <message>
            <location filename="../ui/setup/system_proxy.cpp" line="237" />
            <source>cannot write %1 (%2), which puts the system proxy back after a crash</source>
            <translation>impossible d’écrire %1 (%2), qui sert à rétablir le proxy du système après un plantage</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::BodyContent</name>
        <message>
            <location filename="../ui/detail/body_content.cpp" line="90" />
            <source>this build has no content decoders</source>
            <translation>cette version n’a pas de décodeurs de contenu</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_content.cpp" line="144" />
            <source>decoded from %1, %2 → %3</source>
            <translation>décodé depuis %1, %2 → %3</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_content.cpp" line="152" />
            <source>first part only, %1 recorded</source>
            <translation>début seulement, %1 enregistré</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_content.cpp" line="156" />
            <source>not decoded: %1</source>
            <translation>non décodé : %1</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::BodyView</name>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="45" />
            <source>Text</source>
            <translation>Texte</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="47" />
            <source>Pretty JSON</source>
            <translation>JSON mis en forme</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="49" />
            <source>JSON tree</source>
            <translation>Arbre JSON</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="51" />
            <source>Hex</source>
            <translation>Hexa</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="53" />
            <source>Image</source>
            <translation>Image</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="64" />
            <source>Preview</source>
            <translation>Aperçu</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/body_view.cpp" line="68" />
            <source>{%n key(s)}</source>
            <translation>
                <numerusform>{%n clé}</numerusform>
                <numerusform>{%n clés}</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/body_view.cpp" line="76" />
            <source>[%n item(s)]</source>
            <translation>
                <numerusform>[%n élément]</numerusform>
                <numerusform>[%n éléments]</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="102" />
            <source>Load all</source>
            <translation>Tout charger</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="130" />
            <source>Wrap</source>
            <translation>Retour à la ligne</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="127" />
            <source>Key</source>
            <translation>Clé</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="127" />
            <source>Value</source>
            <translation>Valeur</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="169" />
            <source>Wrap long lines at the pane's width</source>
            <translation>Couper les longues lignes à la largeur du panneau</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="186" />
            <source>Find in body</source>
            <translation>Chercher dans le corps</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="193" />
            <source>Previous match (Shift+F3)</source>
            <translation>Résultat précédent (Maj+F3)</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="196" />
            <source>Next match (F3, Enter)</source>
            <translation>Résultat suivant (F3, Entrée)</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="199" />
            <source>Close (Esc)</source>
            <translation>Fermer (Échap)</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="173" />
            <source>No body</source>
            <translation>Pas de corps</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="199" />
            <source>Loading…</source>
            <translation>Chargement…</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="259" />
            <source>Cannot show this image: %1</source>
            <translation>Impossible d’afficher cette image : %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="263" />
            <source>%1 image, %2×%3</source>
            <translation>Image %1, %2×%3</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="341" />
            <source>Not valid JSON: %1 at %2</source>
            <translation>JSON non valide : %1 à la position %2</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="346" />
            <source>array</source>
            <translation>tableau</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="346" />
            <source>object</source>
            <translation>objet</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="350" />
            <source>… (only the first %1 items are shown)</source>
            <translation>… (seuls les %1 premiers éléments sont affichés)</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="587" />
            <source>No match</source>
            <translation>Aucun résultat</translation>
        </message>
        <message>
            <location filename="../ui/detail/body_view.cpp" line="589" />
            <source>%1 of %2</source>
            <translation>%1 sur %2</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::CaDialog</name>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="49" />
            <source>Certificate authority</source>
            <translation>Autorité de certification</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="54" />
            <source>Tunnelscope decrypts TLS with certificates it signs with this CA. A client must trust the CA's certificate, or it rejects them. The private key never leaves %1.</source>
            <translation>Tunnelscope déchiffre TLS avec des certificats qu’il signe avec cette AC. Un client doit faire confiance au certificat de l’AC, sinon il les refuse. La clé privée ne quitte jamais %1.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="62" />
            <source>Subject:</source>
            <translation>Sujet :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="63" />
            <source>Valid from:</source>
            <translation>Valide du :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="64" />
            <source>Valid until:</source>
            <translation>Valide jusqu’au :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="65" />
            <source>Key:</source>
            <translation>Clé :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="70" />
            <source>SHA-256:</source>
            <translation>SHA-256 :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="72" />
            <source>Export &amp;PEM…</source>
            <translation>Exporter en &amp;PEM…</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="74" />
            <source>For Firefox, Chromium, curl --cacert and update-ca-certificates</source>
            <translation>Pour Firefox, Chromium, curl --cacert et update-ca-certificates</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="75" />
            <source>Export &amp;DER…</source>
            <translation>Exporter en &amp;DER…</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="77" />
            <source>For Android, Windows and Java key stores</source>
            <translation>Pour les magasins de clés Android, Windows et Java</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="78" />
            <source>&amp;Launch Chromium through Tunnelscope</source>
            <translation>&amp;Lancer Chromium via Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="80" />
            <source>A new Chromium profile that trusts this CA and uses the proxy; your own profile is not touched</source>
            <translation>Un nouveau profil Chromium qui fait confiance à cette AC et utilise le proxy ; votre propre profil n’est pas modifié</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="84" />
            <source>&amp;Open Folder</source>
            <translation>&amp;Ouvrir le dossier</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="86" />
            <source>The folder with ca.pem, in the file manager</source>
            <translation>Le dossier contenant ca.pem, dans le gestionnaire de fichiers</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="90" />
            <source>No file manager opened %1</source>
            <translation>Aucun gestionnaire de fichiers n’a ouvert %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="82" />
            <source>Launch &amp;Firefox through Tunnelscope</source>
            <translation>Lancer &amp;Firefox via Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="84" />
            <source>A new Firefox profile that trusts this CA and uses the proxy; your own profile is not touched</source>
            <translation>Un nouveau profil Firefox qui fait confiance à cette AC et utilise le proxy ; votre propre profil n’est pas modifié</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="145" />
            <source>Cannot write %1: %2</source>
            <translation>Impossible d’écrire %1 : %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="157" />
            <source>Export the CA certificate (PEM)</source>
            <translation>Exporter le certificat de l’AC (PEM)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="157" />
            <source>Export the CA certificate (DER)</source>
            <translation>Exporter le certificat de l’AC (DER)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="158" />
            <source>PEM certificate (*.pem *.crt)</source>
            <translation>Certificat PEM (*.pem *.crt)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="158" />
            <source>DER certificate (*.der *.cer)</source>
            <translation>Certificat DER (*.der *.cer)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/ca_dialog.cpp" line="164" />
            <source>Wrote %1</source>
            <translation>%1 enregistré</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::CarriedFlowsModel</name>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="136" />
            <source>#</source>
            <translation>N°</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="138" />
            <source>Method</source>
            <translation>Méthode</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="140" />
            <source>URL</source>
            <translation>URL</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="142" />
            <source>Protocol</source>
            <translation>Protocole</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="144" />
            <source>Status</source>
            <translation>Statut</translation>
        </message>
        <message>
            <location filename="../ui/panes/carried_flows_model.cpp" line="146" />
            <source>Size</source>
            <translation>Taille</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ClientSetupDialog</name>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="55" />
            <source>Copy</source>
            <translation>Copier</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="70" />
            <source>Set up a client</source>
            <translation>Configurer un client</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="93" />
            <source>&amp;Terminal</source>
            <translation>&amp;Terminal</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="94" />
            <source>S&amp;ystem proxy</source>
            <translation>Prox&amp;y du système</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="96" />
            <source>System &amp;CA store</source>
            <translation>Magasin d’&amp;AC du système</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="97" />
            <source>&amp;Phone or other device</source>
            <translation>Télé&amp;phone ou autre appareil</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="99" />
            <source>&amp;Browser</source>
            <translation>Nav&amp;igateur</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="156" />
            <source>Paste these lines into a shell: curl, wget, git, pip, npm, Python and Node then go through the proxy and trust its CA. The bundle is the system's roots plus the CA, so hosts that are passed through still verify.</source>
            <translation>Collez ces lignes dans un shell : curl, wget, git, pip, npm, Python et Node passent alors par le proxy et font confiance à son AC. Le paquet contient les racines du système plus l’AC, si bien que les hôtes laissés passer sont toujours vérifiés.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="159" />
            <source>Paste these lines into a shell: curl, wget, git, pip, npm, Python and Node then go through the proxy.</source>
            <translation>Collez ces lignes dans un shell : curl, wget, git, pip, npm, Python et Node passent alors par le proxy.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="166" />
            <source>Open a &amp;new terminal with these set</source>
            <translation>Ouvrir un &amp;nouveau terminal avec ces variables</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="173" />
            <source>No terminal program was found (x-terminal-emulator, gnome-terminal, konsole, xterm…).</source>
            <translation>Aucun programme de terminal trouvé (x-terminal-emulator, gnome-terminal, konsole, xterm…).</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="188" />
            <source>No terminal could be started.</source>
            <translation>Aucun terminal n’a pu être démarré.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="190" />
            <source>Started %1 with the proxy variables set.</source>
            <translation>%1 démarré avec les variables du proxy.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="197" />
            <source>Applications that follow the desktop's proxy setting (GNOME and KDE applications, Chromium) then go through Tunnelscope. The previous setting comes back when you turn it off or quit Tunnelscope, and at the next start should Tunnelscope stop unexpectedly.</source>
            <translation>Les applications qui suivent le réglage de proxy du bureau (applications GNOME et KDE, Chromium) passent alors par Tunnelscope. Le réglage précédent revient quand vous désactivez ceci ou quittez Tunnelscope, et au démarrage suivant si Tunnelscope s’arrête de façon inattendue.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="205" />
            <source>Use Tunnelscope as the &amp;GNOME proxy (gsettings)</source>
            <translation>Utiliser Tunnelscope comme proxy &amp;GNOME (gsettings)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="213" />
            <source>Use Tunnelscope as the &amp;KDE proxy (kioslaverc)</source>
            <translation>Utiliser Tunnelscope comme proxy &amp;KDE (kioslaverc)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="221" />
            <source>Neither gsettings (GNOME) nor kwriteconfig5 (KDE) is installed, so there is no desktop proxy setting to change.</source>
            <translation>Ni gsettings (GNOME) ni kwriteconfig5 (KDE) n’est installé : il n’y a pas de réglage de proxy du bureau à modifier.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="225" />
            <source>Clients that take an automatic proxy configuration (PAC) URL can use this one; --pac-rules chooses which hosts it sends through Tunnelscope:</source>
            <translation>Les clients qui acceptent une URL de configuration automatique du proxy (PAC) peuvent utiliser celle-ci ; --pac-rules choisit les hôtes qu’elle envoie vers Tunnelscope :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="246" />
            <source>The system proxy is now %1.</source>
            <translation>Le proxy du système est maintenant %1.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="247" />
            <source>The system proxy setting is back as it was.</source>
            <translation>Le réglage du proxy du système est revenu à son état précédent.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="255" />
            <source>To make every program on this computer that uses the system's trust store (OpenSSL, GnuTLS, curl, wget, most command-line tools) trust the CA, run these in a terminal. They need root, and the whole system then trusts certificates Tunnelscope signs: do it only on a machine you debug with.</source>
            <translation>Pour que tous les programmes de cet ordinateur qui utilisent le magasin de confiance du système (OpenSSL, GnuTLS, curl, wget, la plupart des outils en ligne de commande) fassent confiance à l’AC, exécutez ces commandes dans un terminal. Elles demandent les droits root, et tout le système fait alors confiance aux certificats signés par Tunnelscope : ne le faites que sur une machine de débogage.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="266" />
            <source>To remove it again:</source>
            <translation>Pour la retirer :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="272" />
            <source>Browsers keep their own store: Chromium and Firefox do not read this one. Help &gt; Certificate authority and browser starts a Chromium or Firefox that trusts the CA.</source>
            <translation>Les navigateurs ont leur propre magasin : Chromium et Firefox ne lisent pas celui-ci. Aide &gt; Autorité de certification et navigateur démarre un Chromium ou un Firefox qui fait confiance à l’AC.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="294" />
            <source>Tunnelscope listens on %1 only, which other devices cannot reach. To use it from a phone or another computer on your network, choose one of this computer's addresses under Edit &gt; Preferences &gt; Listen on (or start Tunnelscope with --listen ADDRESS:%2), then come back here. Anyone who can reach that address can then use the proxy: do it only on a network you trust.</source>
            <translation>Tunnelscope n’écoute que sur %1, que les autres appareils ne peuvent pas joindre. Pour l’utiliser depuis un téléphone ou un autre ordinateur de votre réseau, choisissez une des adresses de cet ordinateur dans Édition &gt; Préférences &gt; Écouter sur (ou démarrez Tunnelscope avec --listen ADRESSE:%2), puis revenez ici. Quiconque peut joindre cette adresse peut alors utiliser le proxy : ne le faites que sur un réseau de confiance.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="303" />
            <source>This computer has no network address other than loopback right now.</source>
            <translation>Cet ordinateur n’a pour l’instant aucune adresse réseau hormis le bouclage.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="305" />
            <source>This computer's addresses:</source>
            <translation>Les adresses de cet ordinateur :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="314" />
            <source>Tunnelscope listens on all addresses, but this computer has no network address other than loopback right now.</source>
            <translation>Tunnelscope écoute sur toutes les adresses, mais cet ordinateur n’a pour l’instant aucune adresse réseau hormis le bouclage.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="323" />
            <source>On the phone, in the settings of the Wi-Fi network it shares with this computer, set the proxy to Manual with server %1 and port %2, or to Automatic with this URL:</source>
            <translation>Sur le téléphone, dans les réglages du réseau Wi-Fi qu’il partage avec cet ordinateur, réglez le proxy sur Manuel avec le serveur %1 et le port %2, ou sur Automatique avec cette URL :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="333" />
            <source>Then open %1 in the phone's browser (the QR code opens it) and download the CA certificate. Android: Settings &gt; Security &gt; Encryption &amp; credentials &gt; Install a certificate &gt; CA certificate; browsers then trust it, other apps only if they opt in to user CAs. iPhone and iPad: open it in Safari, install the profile under Settings &gt; General &gt; VPN &amp; Device Management, then turn on full trust under Settings &gt; General &gt; About &gt; Certificate Trust Settings.</source>
            <translation>Ouvrez ensuite %1 dans le navigateur du téléphone (le code QR l’ouvre) et téléchargez le certificat de l’AC. Android : Paramètres &gt; Sécurité &gt; Chiffrement et identifiants &gt; Installer un certificat &gt; Certificat CA ; les navigateurs lui font alors confiance, les autres applications seulement si elles acceptent les AC de l’utilisateur. iPhone et iPad : ouvrez-le dans Safari, installez le profil dans Réglages &gt; Général &gt; VPN et gestion de l’appareil, puis activez la confiance totale dans Réglages &gt; Général &gt; Informations &gt; Réglages des certificats.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="343" />
            <source>Devices that look for a proxy on their own (WPAD) find it when the network's DHCP server sends option 252 with %1. Remove the CA from the phone when you are done.</source>
            <translation>Les appareils qui cherchent un proxy d’eux-mêmes (WPAD) le trouvent quand le serveur DHCP du réseau envoie l’option 252 avec %1. Retirez l’AC du téléphone quand vous avez terminé.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="349" />
            <source>This computer has more addresses; use the one on the phone's network: %1</source>
            <translation>Cet ordinateur a d’autres adresses ; utilisez celle du réseau du téléphone : %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="374" />
            <source>A new browser window with a throw-away profile that goes through the proxy, localhost included, and trusts the CA. Your own browser and its profile are not touched.</source>
            <translation>Une nouvelle fenêtre de navigateur avec un profil jetable qui passe par le proxy, localhost compris, et fait confiance à l’AC. Votre propre navigateur et son profil ne sont pas modifiés.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="391" />
            <source>Launch &amp;Firefox</source>
            <translation>Lancer &amp;Firefox</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="391" />
            <source>Launch C&amp;hromium</source>
            <translation>Lancer C&amp;hromium</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="399" />
            <source>Neither Firefox nor Chromium can be started from here: it needs firefox or firefox-esr, or chromium, and certutil (package libnss3-tools).</source>
            <translation>Ni Firefox ni Chromium ne peut être lancé d’ici : il faut firefox ou firefox-esr, ou chromium, et certutil (paquet libnss3-tools).</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="415" />
            <source>could not start %1</source>
            <translation>impossible de démarrer %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="419" />
            <source>%1 failed: %2</source>
            <translation>%1 a échoué : %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/client_setup_dialog.cpp" line="420" />
            <source>exit code %1</source>
            <translation>code de sortie %1</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::CompareDialog</name>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="47" />
            <source>(binary body, %1)</source>
            <translation>(corps binaire, %1)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="75" />
            <source>No response: %1</source>
            <translation>Pas de réponse : %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="113" />
            <source>Compare Flows %1 and %2</source>
            <translation>Comparer les échanges %1 et %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="164" />
            <location filename="../ui/dialogs/compare_dialog.cpp" line="167" />
            <source>Flow %1: %2</source>
            <translation>Échange %1 : %2</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="182" />
            <source>The two flows read the same.</source>
            <translation>Les deux échanges sont identiques.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/compare_dialog.cpp" line="183" />
            <source>%1 lines differ (highlighted).</source>
            <translation>%1 lignes diffèrent (en surbrillance).</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ComposerPane</name>
        <message>
            <location filename="../ui/composer/composer_dock.cpp" line="15" />
            <source>Composer</source>
            <translation>Compositeur</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/composer/composer_pane.cpp" line="89" />
            <source>Sent %n request(s): </source>
            <translation>
                <numerusform>%n requête envoyée : </numerusform>
                <numerusform>%n requêtes envoyées : </numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="90" />
            <source>%1 answered, %2 failed</source>
            <translation>%1 avec réponse, %2 en échec</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="115" />
            <source>https://example.com/path</source>
            <translation>https://example.com/path</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="118" />
            <source>HTTP/1.1</source>
            <translation>HTTP/1.1</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="119" />
            <source>HTTP/2</source>
            <translation>HTTP/2</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="120" />
            <source>Send</source>
            <translation>Envoyer</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="135" />
            <source>× </source>
            <translation>× </translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="140" />
            <source>at once: </source>
            <translation>à la fois : </translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="141" />
            <source>Send N times</source>
            <translation>Envoyer N fois</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="154" />
            <location filename="../ui/composer/composer_pane.cpp" line="274" />
            <source>Name</source>
            <translation>Nom</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="154" />
            <location filename="../ui/composer/composer_pane.cpp" line="213" />
            <location filename="../ui/composer/composer_pane.cpp" line="274" />
            <source>Value</source>
            <translation>Valeur</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="159" />
            <source>Add</source>
            <translation>Ajouter</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="161" />
            <source>Remove</source>
            <translation>Retirer</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="191" />
            <source>No body</source>
            <translation>Pas de corps</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="191" />
            <source>Text</source>
            <translation>Texte</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="191" />
            <source>File</source>
            <translation>Fichier</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="191" />
            <source>Form (url-encoded)</source>
            <translation>Formulaire (encodé URL)</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="200" />
            <source>Choose…</source>
            <translation>Choisir…</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="202" />
            <source>Body from a file</source>
            <translation>Corps depuis un fichier</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="213" />
            <source>Key</source>
            <translation>Clé</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="227" />
            <source>Direct (no upstream proxy)</source>
            <translation>Direct (sans proxy amont)</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="229" />
            <source>The proxy's own upstream rules</source>
            <translation>Les règles amont du proxy</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="231" />
            <source>Through these hops, first hop first:</source>
            <translation>Par ces sauts, le premier d’abord :</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="239" />
            <source>http://127.0.0.1:3128
socks5h://user:password@10.0.0.2:1080</source>
            <translation>http://127.0.0.1:3128
socks5h://utilisateur:motdepasse@10.0.0.2:1080</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="241" />
            <source>Verify origin certificates</source>
            <translation>Vérifier les certificats des serveurs d’origine</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="255" />
            <location filename="../ui/composer/composer_pane.cpp" line="283" />
            <source>Headers</source>
            <translation>En-têtes</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="256" />
            <location filename="../ui/composer/composer_pane.cpp" line="282" />
            <source>Body</source>
            <translation>Corps</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="257" />
            <source>Chain</source>
            <translation>Chaîne</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="266" />
            <location filename="../ui/composer/composer_pane.cpp" line="410" />
            <source>Nothing sent yet.</source>
            <translation>Rien d’envoyé.</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="304" />
            <source>History</source>
            <translation>Historique</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="359" />
            <source>Cannot read the body file %1: %2</source>
            <translation>Impossible de lire le fichier de corps %1 : %2</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="494" />
            <source>Chain: %1</source>
            <translation>Chaîne : %1</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="500" />
            <source>Chain: at most %1 hops</source>
            <translation>Chaîne : au plus %1 sauts</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/composer/composer_pane.cpp" line="557" />
            <source>Sending %n request(s)…</source>
            <translation>
                <numerusform>Envoi de %n requête…</numerusform>
                <numerusform>Envoi de %n requêtes…</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="557" />
            <source>Sending…</source>
            <translation>Envoi…</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="594" />
            <source>No response: %1</source>
            <translation>Pas de réponse : %1</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="600" />
            <source>from the proxy: %1</source>
            <translation>du proxy : %1</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="616" />
            <source>connect %1 · sent %2 · first byte %3 · complete %4</source>
            <translation>connexion %1 · envoi %2 · premier octet %3 · fin %4</translation>
        </message>
        <message>
            <location filename="../ui/composer/composer_pane.cpp" line="653" />
            <source>failed</source>
            <translation>échec</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ConnectionModel</name>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="39" />
            <source>Version: %1</source>
            <translation>Version : %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="41" />
            <source>Cipher: %1</source>
            <translation>Chiffrement : %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="43" />
            <source>SNI: %1</source>
            <translation>SNI : %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="48" />
            <source>ALPN offered: %1</source>
            <translation>ALPN proposés : %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="51" />
            <source>ALPN chosen: %1</source>
            <translation>ALPN choisi : %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="53" />
            <source>Handshake: %1 ms</source>
            <translation>Négociation : %1 ms</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="56" />
            <source>Certificate: %1</source>
            <translation>Certificat : %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="58" />
            <source>Not verified: %1</source>
            <translation>Non vérifié : %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="60" />
            <source>Handshake failed: %1</source>
            <translation>Échec de la négociation : %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="157" />
            <source>failed</source>
            <translation>échec</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="166" />
            <source>%1 ms</source>
            <translation>%1 ms</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="168" />
            <source>%1 s</source>
            <translation>%1 s</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="171" />
            <source>%1 min %2 s</source>
            <translation>%1 min %2 s</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="172" />
            <source>%1 h %2 min</source>
            <translation>%1 h %2 min</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="191" />
            <source>%1 on listener %2</source>
            <translation>%1 sur l’écoute %2</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="193" />
            <source>%1 (%2) from %3, opened by client connection %4</source>
            <translation>%1 (%2) depuis %3, ouverte par la connexion client %4</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="220" />
            <source>client</source>
            <translation>client</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="220" />
            <source>server</source>
            <translation>serveur</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="228" />
            <source>%1 (%2)</source>
            <translation>%1 (%2)</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="241" />
            <source>%1, open</source>
            <translation>%1, ouverte</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="277" />
            <source>#</source>
            <translation>N°</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="279" />
            <source>Side</source>
            <translation>Côté</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="281" />
            <source>Protocol</source>
            <translation>Protocole</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="283" />
            <source>Peer</source>
            <translation>Pair</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="285" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="287" />
            <source>Streams</source>
            <translation>Flux</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="289" />
            <source>Flows</source>
            <translation>Échanges</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="291" />
            <source>In</source>
            <translation>Entrant</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="293" />
            <source>Out</source>
            <translation>Sortant</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="295" />
            <source>Lifetime</source>
            <translation>Durée de vie</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="297" />
            <source>Close reason</source>
            <translation>Motif de fermeture</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="306" />
            <source>Client side: a client connected to the proxy. Server side: the proxy connected to an origin or the next proxy.</source>
            <translation>Côté client : un client connecté au proxy. Côté serveur : le proxy connecté à une origine ou au proxy suivant.</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="309" />
            <source>Client side: the client's address. Server side: the target and the address connected to.</source>
            <translation>Côté client : l’adresse du client. Côté serveur : la cible et l’adresse jointe.</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="312" />
            <source>Version · ALPN · SNI</source>
            <translation>Version · ALPN · SNI</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="314" />
            <source>Bytes received from the peer</source>
            <translation>Octets reçus du pair</translation>
        </message>
        <message>
            <location filename="../ui/panes/connection_model.cpp" line="316" />
            <source>Bytes sent to the peer</source>
            <translation>Octets envoyés au pair</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ConnectionsPane</name>
        <message>
            <location filename="../ui/panes/connections_pane.cpp" line="40" />
            <source>Both sides</source>
            <translation>Les deux côtés</translation>
        </message>
        <message>
            <location filename="../ui/panes/connections_pane.cpp" line="41" />
            <source>Client side</source>
            <translation>Côté client</translation>
        </message>
        <message>
            <location filename="../ui/panes/connections_pane.cpp" line="42" />
            <source>Server side</source>
            <translation>Côté serveur</translation>
        </message>
        <message>
            <location filename="../ui/panes/connections_pane.cpp" line="48" />
            <source>&amp;Show:</source>
            <translation>&amp;Afficher :</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::CurlCommand</name>
        <message>
            <location filename="../ui/detail/curl_command.cpp" line="148" />
            <source>The request body was not recorded in full; the command reads it from body.bin</source>
            <translation>Le corps de la requête n’a pas été enregistré en entier ; la commande le lit dans body.bin</translation>
        </message>
        <message>
            <location filename="../ui/detail/curl_command.cpp" line="152" />
            <source>The request body (%1 bytes) does not fit a command line; save it as body.bin next to where the command runs</source>
            <translation>Le corps de la requête (%1 octets) ne tient pas sur une ligne de commande ; enregistrez-le sous body.bin là où la commande s’exécute</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ErrorText</name>
        <message>
            <location filename="../ui/error_text.cpp" line="12" />
            <source>Tunnelscope cannot listen on that address and port.</source>
            <translation>Tunnelscope ne peut pas écouter sur cette adresse et ce port.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="15" />
            <source>The address to listen on is not an IP address.</source>
            <translation>L’adresse d’écoute n’est pas une adresse IP.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="19" />
            <source>Tunnelscope cannot load or create its certificate authority, the CA it intercepts HTTPS with.</source>
            <translation>Tunnelscope ne peut ni charger ni créer son autorité de certification, l’AC avec laquelle il intercepte le HTTPS.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="23" />
            <source>A file of the certificate authority cannot be read or written.</source>
            <translation>Un fichier de l’autorité de certification ne peut être ni lu ni écrit.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="23" />
            <source>A file of the certificate authority is damaged.</source>
            <translation>Un fichier de l’autorité de certification est endommagé.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="23" />
            <source>A file of the certificate authority is missing.</source>
            <translation>Un fichier de l’autorité de certification est manquant.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="32" />
            <source>The CA's private key does not belong to its certificate.</source>
            <translation>La clé privée de l’AC ne correspond pas à son certificat.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="36" />
            <source>The CA certificate has expired; tunnelscope --regenerate-ca makes a new one.</source>
            <translation>Le certificat de l’AC a expiré ; tunnelscope --regenerate-ca en crée un nouveau.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="38" />
            <source>The filter is not valid.</source>
            <translation>Le filtre n’est pas valide.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="40" />
            <source>The file cannot be opened.</source>
            <translation>Le fichier ne peut pas être ouvert.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="43" />
            <source>The file is not a Tunnelscope session.</source>
            <translation>Le fichier n’est pas une session Tunnelscope.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="46" />
            <source>The session was saved by a newer Tunnelscope.</source>
            <translation>La session a été enregistrée par une version plus récente de Tunnelscope.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="48" />
            <source>The file cannot be written.</source>
            <translation>Le fichier ne peut pas être écrit.</translation>
        </message>
        <message>
            <location filename="../ui/error_text.cpp" line="51" />
            <source>The file is not a HAR file Tunnelscope can read.</source>
            <translation>Le fichier n’est pas un fichier HAR que Tunnelscope sait lire.</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FlowDetailPane</name>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="33" />
            <source>Request</source>
            <translation>Requête</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="34" />
            <source>Response</source>
            <translation>Réponse</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="38" />
            <source>Timing</source>
            <translation>Temps</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="39" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="79" />
            <source>Select a flow to see it here.</source>
            <translation>Sélectionnez un échange pour l’afficher ici.</translation>
        </message>
        <message>
            <location filename="../ui/detail/flow_detail_pane.cpp" line="1" />
            <source>Messages</source>
            <translation>Messages</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FlowMarks</name>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="16" />
            <source>None</source>
            <translation>Aucune</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="18" />
            <source>Red</source>
            <translation>Rouge</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="20" />
            <source>Orange</source>
            <translation>Orange</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="22" />
            <source>Yellow</source>
            <translation>Jaune</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="24" />
            <source>Green</source>
            <translation>Vert</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="26" />
            <source>Blue</source>
            <translation>Bleu</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="28" />
            <source>Purple</source>
            <translation>Violet</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_marks.cpp" line="30" />
            <source>Gray</source>
            <translation>Gris</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FlowMarksActions</name>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="26" />
            <source>&amp;Pin</source>
            <translation>É&amp;pingler</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="30" />
            <source>Pin the selected flows (the filter's pinned finds them)</source>
            <translation>Épingler les échanges sélectionnés (le filtre pinned les retrouve)</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="34" />
            <source>&amp;Highlight</source>
            <translation>Coul&amp;eur</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="38" />
            <source>Tint the selected rows (the filter's color:red finds them)</source>
            <translation>Teinter les lignes sélectionnées (le filtre color:red les retrouve)</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="57" />
            <source>Comme&amp;nt…</source>
            <translation>Commen&amp;taire…</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="60" />
            <source>Write a comment on the selected flows (the filter's comment:text)</source>
            <translation>Écrire un commentaire sur les échanges sélectionnés (dans le filtre : comment:texte)</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="66" />
            <source>Comment</source>
            <translation>Commentaire</translation>
        </message>
        <message>
            <location filename="../ui/widgets/flow_marks_actions.cpp" line="67" />
            <source>Your comment on the selected flows. It is saved with the session and in HAR exports; it is not sent anywhere.</source>
            <translation>Votre commentaire sur les échanges sélectionnés. Il est enregistré avec la session et dans les exports HAR ; il n’est envoyé nulle part.</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FlowTableModel</name>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="596" />
            <source>Server certificate not verified: %1</source>
            <translation>Certificat du serveur non vérifié : %1</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="675" />
            <source>passed through</source>
            <translation>laissé passer</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="675" />
            <source>passed through, %1</source>
            <translation>laissé passer, %1</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="679" />
            <source>intercepted</source>
            <translation>intercepté</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="679" />
            <source>intercepted, %1</source>
            <translation>intercepté, %1</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="681" />
            <source>handshake failed</source>
            <translation>échec de la négociation</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="688" />
            <source>exchange</source>
            <translation>requête-réponse</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="690" />
            <source>tunnel</source>
            <translation>tunnel</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="692" />
            <source>WebSocket</source>
            <translation>WebSocket</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="708" />
            <location filename="../ui/models/flow_table_model.cpp" line="709" />
            <source>%1 ms</source>
            <translation>%1 ms</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="752" />
            <source>#</source>
            <translation>N°</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="754" />
            <source>Time</source>
            <translation>Heure</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="756" />
            <source>Client</source>
            <translation>Client</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="758" />
            <source>Method</source>
            <translation>Méthode</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="760" />
            <source>Scheme</source>
            <translation>Schéma</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="762" />
            <source>Host</source>
            <translation>Hôte</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="764" />
            <source>Path</source>
            <translation>Chemin</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="766" />
            <source>Status</source>
            <translation>Statut</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="768" />
            <source>Client protocol</source>
            <translation>Protocole client</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="770" />
            <source>Server protocol</source>
            <translation>Protocole serveur</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="772" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="774" />
            <source>Type</source>
            <translation>Type</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="776" />
            <source>Request</source>
            <translation>Requête</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="778" />
            <source>Response</source>
            <translation>Réponse</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="780" />
            <source>Duration</source>
            <translation>Durée</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="782" />
            <source>Error</source>
            <translation>Erreur</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="800" />
            <source>Request body bytes; for tunnels, bytes from the client to the server</source>
            <translation>Octets du corps de la requête ; pour les tunnels, octets du client vers le serveur</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="802" />
            <source>Response body bytes; for tunnels, bytes from the server to the client</source>
            <translation>Octets du corps de la réponse ; pour les tunnels, octets du serveur vers le client</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="804" />
            <source>From the request's arrival to the end of the response</source>
            <translation>De l’arrivée de la requête à la fin de la réponse</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="806" />
            <source>Client address and port</source>
            <translation>Adresse et port du client</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="808" />
            <source>The HTTP version the client spoke to the proxy</source>
            <translation>La version HTTP parlée par le client au proxy</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="810" />
            <source>The HTTP version the server answered the proxy with</source>
            <translation>La version HTTP avec laquelle le serveur a répondu au proxy</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="812" />
            <source>Whether the proxy decrypted the connection, and the TLS version</source>
            <translation>Si le proxy a déchiffré la connexion, et la version de TLS</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="814" />
            <source>Exchange (request and response), tunnel (CONNECT) or WebSocket</source>
            <translation>Échange (requête et réponse), tunnel (CONNECT) ou WebSocket</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="823" />
            <source>%1 B</source>
            <translation>%1 o</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="920" />
            <source>Comment</source>
            <translation>Commentaire</translation>
        </message>
        <message>
            <location filename="../ui/models/flow_table_model.cpp" line="954" />
            <source>Your comment on the flow (row menu → Comment…); the filter finds it with comment:text</source>
            <translation>Votre commentaire sur l’échange (menu de la ligne → Commentaire…) ; le filtre le retrouve avec comment:texte</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FrameModel</name>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="198" />
            <source>Received from the peer</source>
            <translation>Reçu du pair</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="198" />
            <source>Sent by Tunnelscope</source>
            <translation>Envoyé par Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="238" />
            <source>#</source>
            <translation>N°</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="240" />
            <source>Time (s)</source>
            <translation>Temps (s)</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="242" />
            <source>Dir</source>
            <translation>Sens</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="244" />
            <source>Type</source>
            <translation>Type</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="246" />
            <source>Flags</source>
            <translation>Drapeaux</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="248" />
            <source>Stream</source>
            <translation>Flux</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="250" />
            <source>Length</source>
            <translation>Longueur</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="252" />
            <source>Summary</source>
            <translation>Résumé</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="258" />
            <source>The frame's number on the connection, counting dropped frames</source>
            <translation>Le numéro de la trame sur la connexion, trames abandonnées comprises</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="260" />
            <source>Seconds since the connection opened</source>
            <translation>Secondes depuis l’ouverture de la connexion</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="262" />
            <source>← received from the peer, → sent by Tunnelscope</source>
            <translation>← reçu du pair, → envoyé par Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/panes/frame_model.cpp" line="264" />
            <source>Payload bytes</source>
            <translation>Octets de charge utile</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::FramesPane</name>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="50" />
            <source>All types</source>
            <translation>Tous les types</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="61" />
            <source>all</source>
            <translation>tous</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="65" />
            <source>Only the frames of this stream (0: the connection's own frames)</source>
            <translation>Seulement les trames de ce flux (0 : les trames propres à la connexion)</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="75" />
            <source>&amp;Type:</source>
            <translation>&amp;Type :</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="77" />
            <source>&amp;Stream:</source>
            <translation>&amp;Flux :</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="171" />
            <source>Select a connection to see its frames</source>
            <translation>Sélectionnez une connexion pour voir ses trames</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="173" />
            <source>Connection #%1 (%2): no frame log</source>
            <translation>Connexion n° %1 (%2) : pas de journal de trames</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="181" />
            <source>Connection #%1: 1 frame</source>
            <translation>Connexion n° %1 : 1 trame</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="182" />
            <source>Connection #%1: %L2 frames</source>
            <translation>Connexion n° %1 : %L2 trames</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="185" />
            <source>Connection #%1: %L2 of %L3 frames</source>
            <translation>Connexion n° %1 : %L2 trames sur %L3</translation>
        </message>
        <message>
            <location filename="../ui/panes/frames_pane.cpp" line="190" />
            <source>%L1 older frames dropped; the log keeps the newest %L2</source>
            <translation>%L1 trames plus anciennes abandonnées ; le journal garde les %L2 plus récentes</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::GraphQlView</name>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="35" />
            <source>Variables</source>
            <translation>Variables</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="80" />
            <source>operation</source>
            <translation>opération</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="81" />
            <source>%1 (anonymous)</source>
            <translation>%1 (anonyme)</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="94" />
            <source>%1 of %2: %3</source>
            <translation>%1 sur %2 : %3</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="112" />
            <source>Batch of %1 operations</source>
            <translation>Lot de %1 opérations</translation>
        </message>
        <message>
            <location filename="../ui/detail/graphql_view.cpp" line="116" />
            <source>Variables: none</source>
            <translation>Variables : aucune</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::InspectorDocks</name>
        <message>
            <location filename="../ui/panes/inspector_docks.cpp" line="37" />
            <source>Tunnels</source>
            <translation>Tunnels</translation>
        </message>
        <message>
            <location filename="../ui/panes/inspector_docks.cpp" line="40" />
            <source>Connections</source>
            <translation>Connexions</translation>
        </message>
        <message>
            <location filename="../ui/panes/inspector_docks.cpp" line="43" />
            <source>Frames</source>
            <translation>Trames</translation>
        </message>
        <message>
            <location filename="../ui/panes/inspector_docks.cpp" line="46" />
            <source>Streams</source>
            <translation>Flux</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::MainWindow</name>
        <message>
            <location filename="../ui/main_window.cpp" line="130" />
            <location filename="../ui/main_window.cpp" line="1058" />
            <source>Tunnelscope</source>
            <translation>Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="136" />
            <source>Details</source>
            <translation>Détails</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="218" />
            <source>&amp;Details</source>
            <translation>Dét&amp;ails</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="219" />
            <source>&amp;Tunnels</source>
            <translation>&amp;Tunnels</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="220" />
            <source>&amp;Connections</source>
            <translation>&amp;Connexions</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="221" />
            <source>&amp;Frames</source>
            <translation>Tra&amp;mes</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="222" />
            <source>&amp;Streams</source>
            <translation>&amp;Flux</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="223" />
            <source>Co&amp;mposer</source>
            <translation>C&amp;ompositeur</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="226" />
            <source>Could not put the system proxy back as it was before Tunnelscope stopped unexpectedly: %1</source>
            <translation>Impossible de rétablir le proxy du système tel qu’il était avant l’arrêt inattendu de Tunnelscope : %1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="230" />
            <source>Tunnelscope stopped unexpectedly last time with the system proxy set; it is back as it was.</source>
            <translation>Tunnelscope s’est arrêté de façon inattendue la dernière fois avec le proxy du système réglé ; il est revenu à son état précédent.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="282" />
            <source>Status</source>
            <translation>Statut</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="306" />
            <source>&amp;Open Session…</source>
            <translation>&amp;Ouvrir une session…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="311" />
            <source>&amp;Save Session</source>
            <translation>&amp;Enregistrer la session</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="316" />
            <source>Save Session &amp;As…</source>
            <translation>Enregistrer la session &amp;sous…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="321" />
            <source>&amp;Import HAR…</source>
            <translation>&amp;Importer un HAR…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="325" />
            <source>&amp;Export HAR…</source>
            <translation>E&amp;xporter en HAR…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="329" />
            <source>&amp;Preferences…</source>
            <translation>&amp;Préférences…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="336" />
            <source>&amp;Certificate authority and browser…</source>
            <translation>Autorité de &amp;certification et navigateur…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="341" />
            <source>&amp;Set up a client…</source>
            <translation>C&amp;onfigurer un client…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="345" />
            <source>&amp;Keyboard Shortcuts</source>
            <translation>&amp;Raccourcis clavier</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="413" />
            <source>Export Se&amp;lection as HAR…</source>
            <translation>Exporter la sé&amp;lection en HAR…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="416" />
            <source>The selected flows (Ctrl+A selects every flow the filter shows)</source>
            <translation>Les échanges sélectionnés (Ctrl+A sélectionne tous les échanges que le filtre affiche)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="420" />
            <source>Copy Request &amp;Body</source>
            <translation>Copier le &amp;corps de la requête</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="424" />
            <source>Copy Response B&amp;ody</source>
            <translation>Copier le corps de la répo&amp;nse</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="428" />
            <source>Save Request Body…</source>
            <translation>Enregistrer le corps de la requête…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="431" />
            <source>Save Response Body…</source>
            <translation>Enregistrer le corps de la réponse…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="452" />
            <source>&amp;User Guide</source>
            <translation>&amp;Guide de l’utilisateur</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="349" />
            <source>&amp;About Tunnelscope</source>
            <translation>À &amp;propos de Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="493" />
            <source>Remove the selected flows (Edit → Undo brings them back)</source>
            <translation>Retirer les échanges sélectionnés (Édition → Annuler les rétablit)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="500" />
            <source>The frames of the selected flow's stream; double-click a frame to come back</source>
            <translation>Les trames du flux de l’échange sélectionné ; double-cliquez sur une trame pour revenir</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="354" />
            <source>&amp;Quit</source>
            <translation>&amp;Quitter</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="360" />
            <location filename="../ui/main_window.cpp" line="1266" />
            <source>&amp;Pause</source>
            <translation>&amp;Pause</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="365" />
            <source>Stop showing new flows (the proxy keeps running)</source>
            <translation>Ne plus afficher les nouveaux échanges (le proxy continue de fonctionner)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="368" />
            <source>C&amp;lear</source>
            <translation>&amp;Effacer</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="372" />
            <source>Forget every recorded flow</source>
            <translation>Oublier tous les échanges enregistrés</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="488" />
            <source>Dele&amp;te</source>
            <translation>&amp;Supprimer</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="497" />
            <source>Show &amp;Connection and Frames</source>
            <translation>Aff&amp;icher la connexion et les trames</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="504" />
            <source>Co&amp;mpare Two Flows</source>
            <translation>Comparer &amp;deux échanges</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="506" />
            <source>Select two flows (Ctrl+click) to see them side by side</source>
            <translation>Sélectionnez deux échanges (Ctrl+clic) pour les voir côte à côte</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="509" />
            <source>U&amp;ndo</source>
            <translation>&amp;Annuler</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="512" />
            <source>R&amp;edo</source>
            <translation>Ré&amp;tablir</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="376" />
            <source>&amp;Intercept TLS</source>
            <translation>&amp;Intercepter TLS</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="380" />
            <source>Decrypt TLS in new tunnels</source>
            <translation>Déchiffrer TLS dans les nouveaux tunnels</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="384" />
            <source>Copy &amp;URL</source>
            <translation>Copier l’&amp;URL</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="392" />
            <source>Copy &amp;As</source>
            <translation>Copier c&amp;omme</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="394" />
            <source>&amp;curl</source>
            <translation>&amp;curl</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="399" />
            <source>&amp;fetch (JavaScript)</source>
            <translation>&amp;fetch (JavaScript)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="402" />
            <source>&amp;Python requests</source>
            <translation>&amp;Python requests</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="405" />
            <source>&amp;HTTPie</source>
            <translation>&amp;HTTPie</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="410" />
            <source>&amp;Replay</source>
            <translation>&amp;Rejouer</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="413" />
            <source>Send the selected request again, as it was</source>
            <translation>Renvoyer la requête sélectionnée telle quelle</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="416" />
            <source>E&amp;dit and Replay…</source>
            <translation>&amp;Modifier et rejouer…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="419" />
            <source>Put the selected request into the composer</source>
            <translation>Placer la requête sélectionnée dans le compositeur</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="423" />
            <source>&amp;Filter…</source>
            <translation>&amp;Filtrer…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="568" />
            <source>&amp;Search Bodies…</source>
            <translation>Rec&amp;hercher dans les corps…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="572" />
            <source>The flows whose request or response body contains a text (the filter's body:)</source>
            <translation>Les échanges dont le corps de requête ou de réponse contient un texte (body: dans le filtre)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="427" />
            <source>&amp;Auto-scroll to new flows</source>
            <translation>&amp;Défiler automatiquement vers les nouveaux échanges</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="432" />
            <source>&amp;Reset Layout</source>
            <translation>&amp;Réinitialiser la disposition</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="434" />
            <source>Put every pane back where it was at the first start</source>
            <translation>Remettre chaque panneau là où il était au premier démarrage</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="440" />
            <source>&amp;File</source>
            <translation>&amp;Fichier</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="450" />
            <source>&amp;Edit</source>
            <translation>É&amp;dition</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="463" />
            <source>&amp;View</source>
            <translation>&amp;Affichage</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="474" />
            <source>&amp;Help</source>
            <translation>A&amp;ide</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="485" />
            <source>Main</source>
            <translation>Principale</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="497" />
            <source>Filter, e.g. host:example.com status&gt;=400</source>
            <translation>Filtre, p. ex. host:example.com status&gt;=400</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="504" />
            <source>The filter language</source>
            <translation>Le langage de filtre</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="445" />
            <source>Resident memory of the process, and what recorded flows and connections hold in memory against the memory budget: bodies %1, headers %2, frame logs %3. Beyond the budget, closed connections' frame logs and older flows' bodies and headers go to disk.</source>
            <translation>Mémoire résidente du processus, et ce que les échanges et connexions enregistrés gardent en mémoire par rapport au budget mémoire : corps %1, en-têtes %2, journaux de trames %3. Au-delà du budget, les journaux de trames des connexions fermées ainsi que les corps et en-têtes des échanges plus anciens vont sur le disque.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="448" />
            <source>Frames left out of connection logs that reached their capacity, or that the memory budget could not keep</source>
            <translation>Trames omises des journaux de connexion arrivés à leur capacité, ou que le budget mémoire n’a pas pu garder</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="539" />
            <source>Out of file descriptors: new connections wait</source>
            <translation>Plus de descripteurs de fichiers : les nouvelles connexions attendent</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="540" />
            <source>The proxy holds as many files and sockets as the system allows it; new clients are accepted when some close</source>
            <translation>Le proxy a ouvert autant de fichiers et de sockets que le système le permet ; de nouveaux clients seront acceptés quand certains se fermeront</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="619" />
            <source>Filtering…</source>
            <translation>Filtrage…</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="622" />
            <source>Applied in %1 ms</source>
            <translation>Appliqué en %1 ms</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="679" />
            <source>Not listening: nothing will be recorded. File → Open Session opens a recorded one.</source>
            <translation>Aucune écoute : rien ne sera enregistré. Fichier → Ouvrir une session ouvre une session enregistrée.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="684" />
            <source>Listening on %1.

Point a client at the proxy, for example:
curl -x http://%2 http://example.com/</source>
            <translation>À l’écoute sur %1.

Dirigez un client vers le proxy, par exemple :
curl -x http://%2 http://example.com/</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="689" />
            <source>For a browser that trusts Tunnelscope's CA (HTTPS included): Help → Certificate authority and browser.</source>
            <translation>Pour un navigateur qui fait confiance à l’AC de Tunnelscope (HTTPS compris) : Aide → Autorité de certification et navigateur.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="693" />
            <source>No flows match the filter.
Esc in the filter box clears it.</source>
            <translation>Aucun échange ne correspond au filtre.
Échap dans le champ de filtre l’efface.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="695" />
            <source>Paused: new flows are held back until you resume.</source>
            <translation>En pause : les nouveaux échanges sont retenus jusqu’à la reprise.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="745" />
            <source>Filter language</source>
            <translation>Langage de filtre</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="799" />
            <source>Select a flow to copy its URL</source>
            <translation>Sélectionnez un échange pour copier son URL</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="803" />
            <source>Copied the URL</source>
            <translation>URL copiée</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="808" />
            <location filename="../ui/main_window.cpp" line="822" />
            <source>Select a request to copy</source>
            <translation>Sélectionnez une requête à copier</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="815" />
            <source>Copied</source>
            <translation>Copié</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="827" />
            <source>Copied as curl</source>
            <translation>Copié en curl</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="834" />
            <source>Select a request to replay</source>
            <translation>Sélectionnez une requête à rejouer</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="848" />
            <source>Select a request to edit</source>
            <translation>Sélectionnez une requête à modifier</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="862" />
            <location filename="../ui/main_window.cpp" line="888" />
            <location filename="../ui/main_window.cpp" line="896" />
            <source>Open Session</source>
            <translation>Ouvrir une session</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="863" />
            <source>Tunnelscope session (*.tss);;HTTP Archive (*.har);;All files (*)</source>
            <translation>Session Tunnelscope (*.tss);;Archive HTTP (*.har);;Tous les fichiers (*)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="871" />
            <location filename="../ui/main_window.cpp" line="924" />
            <location filename="../ui/main_window.cpp" line="930" />
            <source>Import HAR</source>
            <translation>Importer un HAR</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="872" />
            <location filename="../ui/main_window.cpp" line="981" />
            <source>HTTP Archive (*.har);;All files (*)</source>
            <translation>Archive HTTP (*.har);;Tous les fichiers (*)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="889" />
            <source>%1 is neither a Tunnelscope session (.tss) nor a HAR file (.har).</source>
            <translation>%1 n’est ni une session Tunnelscope (.tss) ni un fichier HAR (.har).</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="916" />
            <source>Opened %1: %n flow(s)</source>
            <translation>
                <numerusform>%1 ouvert : %n échange</numerusform>
                <numerusform>%1 ouvert : %n échanges</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="925" />
            <source>Cannot read %1: %2</source>
            <translation>Impossible de lire %1 : %2</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="947" />
            <source>Imported %n flow(s) from %1</source>
            <translation>
                <numerusform>%n échange importé depuis %1</numerusform>
                <numerusform>%n échanges importés depuis %1</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1169" />
            <location filename="../ui/main_window.cpp" line="1188" />
            <source>Select the flows to export</source>
            <translation>Sélectionnez les échanges à exporter</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1173" />
            <location filename="../ui/main_window.cpp" line="1194" />
            <source>Export Selection as HAR</source>
            <translation>Exporter la sélection en HAR</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="1198" />
            <source>Exported %n flow(s) to %1</source>
            <translation>
                <numerusform>%n échange exporté vers %1</numerusform>
                <numerusform>%n échanges exportés vers %1</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1205" />
            <source>Select a request to copy its body</source>
            <translation>Sélectionnez une requête pour copier son corps</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1211" />
            <location filename="../ui/main_window.cpp" line="1255" />
            <source>The response has no body</source>
            <translation>La réponse n’a pas de corps</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1211" />
            <location filename="../ui/main_window.cpp" line="1255" />
            <source>The request has no body</source>
            <translation>La requête n’a pas de corps</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1221" />
            <source>The body is not text: save it to a file instead</source>
            <translation>Le corps n’est pas du texte : enregistrez-le plutôt dans un fichier</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1225" />
            <source>Copied the body (%1)</source>
            <translation>Corps copié (%1)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1231" />
            <location filename="../ui/main_window.cpp" line="1249" />
            <source>Select a request to save its body</source>
            <translation>Sélectionnez une requête pour enregistrer son corps</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1241" />
            <location filename="../ui/main_window.cpp" line="1266" />
            <source>Save Response Body</source>
            <translation>Enregistrer le corps de la réponse</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1241" />
            <location filename="../ui/main_window.cpp" line="1266" />
            <source>Save Request Body</source>
            <translation>Enregistrer le corps de la requête</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1267" />
            <source>Cannot write %1: %2</source>
            <translation>Impossible d’écrire %1 : %2</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1270" />
            <source>Saved the body to %1 (%2)</source>
            <translation>Corps enregistré dans %1 (%2)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="980" />
            <location filename="../ui/main_window.cpp" line="990" />
            <source>Export HAR</source>
            <translation>Exporter en HAR</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="994" />
            <source>Exported to %1</source>
            <translation>Exporté vers %1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1012" />
            <location filename="../ui/main_window.cpp" line="1035" />
            <location filename="../ui/main_window.cpp" line="1043" />
            <source>Save Session</source>
            <translation>Enregistrer la session</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1013" />
            <source>Tunnelscope session (*.tss)</source>
            <translation>Session Tunnelscope (*.tss)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1036" />
            <source>The session could not be saved there.

%1

It was saved to %2 instead.</source>
            <translation>La session n’a pas pu être enregistrée à cet endroit.

%1

Elle a été enregistrée dans %2 à la place.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1044" />
            <source>The session was not saved.

%1</source>
            <translation>La session n’a pas été enregistrée.

%1</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="1050" />
            <source>Saved %n flow(s) to %1</source>
            <translation>
                <numerusform>%n échange enregistré dans %1</numerusform>
                <numerusform>%n échanges enregistrés dans %1</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1060" />
            <source>%1 — Tunnelscope</source>
            <translation>%1 — Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1062" />
            <source>Not listening</source>
            <translation>Aucune écoute</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1065" />
            <source>Listening on %1</source>
            <translation>À l’écoute sur %1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1069" />
            <source>%1; new flows are added to %2 (save to keep them)</source>
            <translation>%1 ; les nouveaux échanges sont ajoutés à %2 (enregistrez pour les garder)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1167" />
            <source>the listen address</source>
            <translation>l’adresse d’écoute</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1168" />
            <source>the listen port</source>
            <translation>le port d’écoute</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1169" />
            <source>the HTTPS proxy port</source>
            <translation>le port du proxy HTTPS</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1170" />
            <source>TLS interception</source>
            <translation>l’interception TLS</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1171" />
            <source>the pass-through hosts</source>
            <translation>les hôtes laissés passer</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1172" />
            <source>server certificate verification</source>
            <translation>la vérification des certificats des serveurs</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1173" />
            <source>the frame log size</source>
            <translation>la taille du journal de trames</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1174" />
            <source>the upstream proxies</source>
            <translation>les proxys amont</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1181" />
            <source>Saved. New values of %1 apply after Tunnelscope restarts.</source>
            <translation>Enregistré. Les nouvelles valeurs pour %1 s’appliquent après le redémarrage de Tunnelscope.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1185" />
            <source>Preferences</source>
            <translation>Préférences</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1191" />
            <source>Preferences saved</source>
            <translation>Préférences enregistrées</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1569" />
            <source>Tunnelscope User Guide</source>
            <translation>Guide de l’utilisateur de Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1224" />
            <source>Ctrl+Home, Ctrl+End</source>
            <translation>Ctrl+Début, Ctrl+Fin</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1224" />
            <source>First, last flow</source>
            <translation>Premier, dernier échange</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1225" />
            <source>Esc</source>
            <translation>Échap</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1225" />
            <source>Clear the filter (in the filter box)</source>
            <translation>Effacer le filtre (dans le champ de filtre)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1236" />
            <source>Keyboard Shortcuts</source>
            <translation>Raccourcis clavier</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1250" />
            <source>About Tunnelscope</source>
            <translation>À propos de Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1251" />
            <source>Tunnelscope %1

A desktop proxy debugger: an intercepting forward proxy and an inspector for its flows, tunnels, connections, frames and streams.

Built with Qt %2. Help → Keyboard Shortcuts lists the keys; the ? beside the filter box explains the filter language.</source>
            <translation>Tunnelscope %1

Un débogueur de proxy pour le bureau : un proxy direct qui intercepte, et un inspecteur pour ses échanges, tunnels, connexions, trames et flux.

Compilé avec Qt %2. Aide → Raccourcis clavier liste les touches ; le ? à côté du champ de filtre explique le langage de filtre.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1266" />
            <source>&amp;Resume</source>
            <translation>&amp;Reprendre</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1612" />
            <source>Clear</source>
            <translation>Effacer</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1627" />
            <source>Select the flows to delete</source>
            <translation>Sélectionnez les échanges à supprimer</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1632" />
            <source>Delete 1 Flow</source>
            <translation>Supprimer 1 échange</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1633" />
            <source>Delete %1 Flows</source>
            <translation>Supprimer %1 échanges</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1648" />
            <source>Select two flows to compare them</source>
            <translation>Sélectionnez deux échanges pour les comparer</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1944" />
            <source>Quit Tunnelscope</source>
            <translation>Quitter Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1946" />
            <source>The capture (1 flow) has changes that are not saved.</source>
            <translation>La capture (1 échange) contient des modifications non enregistrées.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1947" />
            <source>The capture (%1 flows) has changes that are not saved.</source>
            <translation>La capture (%1 échanges) contient des modifications non enregistrées.</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1951" />
            <source>Save the capture before quitting?</source>
            <translation>Enregistrer la capture avant de quitter ?</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/main_window.cpp" line="1641" />
            <source>Deleted %n flow(s); Edit → Undo brings them back</source>
            <translation>
                <numerusform>%n échange supprimé ; Édition → Annuler le rétablit</numerusform>
                <numerusform>%n échanges supprimés ; Édition → Annuler les rétablit</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1667" />
            <source>Select a flow to show its connection</source>
            <translation>Sélectionnez un échange pour afficher sa connexion</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1676" />
            <source>Frames of flow %1 on connection #%2</source>
            <translation>Trames de l’échange %1 sur la connexion n° %2</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1684" />
            <source>Flow %1 crossed connection #%2, which has no frame log (HTTP/1.1)</source>
            <translation>L’échange %1 est passé par la connexion n° %2, qui n’a pas de journal de trames (HTTP/1.1)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1690" />
            <source>No connection was recorded for flow %1</source>
            <translation>Aucune connexion n’a été enregistrée pour l’échange %1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1736" />
            <source>Autosave failed: %1</source>
            <translation>Échec de l’enregistrement automatique : %1</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1757" />
            <source>Recover Capture</source>
            <translation>Récupérer la capture</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1758" />
            <source>Tunnelscope did not quit normally last time (it was stopped by the system, killed or crashed). Its capture was autosaved on %1.

Open it?</source>
            <translation>Tunnelscope ne s’est pas fermé normalement la dernière fois (il a été arrêté par le système, tué ou il a planté). Sa capture a été enregistrée automatiquement le %1.

L’ouvrir ?</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1763" />
            <source>&amp;Open It</source>
            <translation>&amp;Ouvrir</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1764" />
            <source>&amp;Discard It</source>
            <translation>&amp;Abandonner</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1284" />
            <location filename="../ui/main_window.cpp" line="1298" />
            <source>1 tunnel</source>
            <translation>1 tunnel</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1284" />
            <location filename="../ui/main_window.cpp" line="1298" />
            <source>%1 tunnels</source>
            <translation>%1 tunnels</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1293" />
            <source>%1 of %2 flows</source>
            <translation>%1 échanges sur %2</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1295" />
            <source>1 flow</source>
            <translation>1 échange</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1296" />
            <source>%1 flows</source>
            <translation>%1 échanges</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1310" />
            <source>Paused: %1 new flows not shown</source>
            <translation>En pause : %1 nouveaux échanges non affichés</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1311" />
            <source>%1 flows not shown (arrived while paused)</source>
            <translation>%1 échanges non affichés (arrivés pendant la pause)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1044" />
            <source>Memory %1 (records %2 of %3)</source>
            <translation>Mémoire %1 (enregistrements %2 sur %3)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1320" />
            <source>unknown</source>
            <translation>inconnue</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1329" />
            <source>1 frame dropped</source>
            <translation>1 trame abandonnée</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1330" />
            <source>%1 frames dropped</source>
            <translation>%1 trames abandonnées</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1322" />
            <source> (%1 to stay within the memory budget)</source>
            <translation> (%1 pour rester dans le budget mémoire)</translation>
        </message>
        <message>
            <location filename="../ui/main_window.cpp" line="1349" />
            <source>Flow %1 is not in the table (filtered out or arrived while paused)</source>
            <translation>L’échange %1 n’est pas dans le tableau (filtré ou arrivé pendant la pause)</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::MessageView</name>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="21" />
            <location filename="../ui/detail/message_view.cpp" line="84" />
            <source>Name</source>
            <translation>Nom</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="21" />
            <location filename="../ui/detail/message_view.cpp" line="84" />
            <source>Value</source>
            <translation>Valeur</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="128" />
            <source>(file %1, %2 bytes)</source>
            <translation>(fichier %1, %2 octets)</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="163" />
            <source>Attributes</source>
            <translation>Attributs</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="84" />
            <source>Change</source>
            <translation>Changement</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="99" />
            <source>Headers</source>
            <translation>En-têtes</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="100" />
            <source>Raw</source>
            <translation>Brut</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="101" />
            <source>Trailers</source>
            <translation>En-têtes de fin</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="187" />
            <source>Query</source>
            <translation>Paramètres</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="188" />
            <source>Cookies</source>
            <translation>Cookies</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="189" />
            <source>Form</source>
            <translation>Formulaire</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="146" />
            <source>To server, %1</source>
            <translation>Vers le serveur, %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="146" />
            <source>To client, %1</source>
            <translation>Vers le client, %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="149" />
            <source> (%1 changed)</source>
            <translation> (%1 modifiés)</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="149" />
            <source> (unchanged)</source>
            <translation> (inchangé)</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="150" />
            <source>The request as the proxy sent it to the server</source>
            <translation>La requête telle que le proxy l’a envoyée au serveur</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="151" />
            <source>The response as the proxy sent it to the client</source>
            <translation>La réponse telle que le proxy l’a envoyée au client</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="168" />
            <source>Trailers:</source>
            <translation>En-têtes de fin :</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="203" />
            <source>added</source>
            <translation>ajouté</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="208" />
            <location filename="../ui/detail/message_view.cpp" line="222" />
            <source>removed</source>
            <translation>retiré</translation>
        </message>
        <message>
            <location filename="../ui/detail/message_view.cpp" line="195" />
            <source>GraphQL</source>
            <translation>GraphQL</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::PortInUseDialog</name>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="101" />
            <source>the proxy</source>
            <translation>le proxy</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="102" />
            <source>the HTTPS proxy</source>
            <translation>le proxy HTTPS</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="103" />
            <source>SOCKS5</source>
            <translation>SOCKS5</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="114" />
            <source>address already in use</source>
            <translation>adresse déjà utilisée</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="120" />
            <source>Tunnelscope</source>
            <translation>Tunnelscope</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="121" />
            <source>Tunnelscope cannot start.

%1</source>
            <translation>Tunnelscope ne peut pas démarrer.

%1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="129" />
            <source>Port in use</source>
            <translation>Port occupé</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="135" />
            <source>Tunnelscope cannot listen on %1 for %2: %3.

Another program (perhaps another Tunnelscope) holds the port.</source>
            <translation>Tunnelscope ne peut pas écouter sur %1 pour %2 : %3.

Un autre programme (peut-être un autre Tunnelscope) occupe le port.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="138" />
            <source>Tunnelscope cannot listen on %1 for %2: %3.

%4 holds the port.</source>
            <translation>Tunnelscope ne peut pas écouter sur %1 pour %2 : %3.

%4 occupe le port.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="141" />
            <source>Start on another port? Clients must then be pointed at that port; Edit → Preferences keeps a port for the next starts.</source>
            <translation>Démarrer sur un autre port ? Les clients devront alors pointer vers ce port ; Édition → Préférences garde un port pour les prochains démarrages.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="154" />
            <source>Port:</source>
            <translation>Port :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="157" />
            <source>Start on This Port</source>
            <translation>Démarrer sur ce port</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="160" />
            <source>Quit</source>
            <translation>Quitter</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="72" />
            <source>PID %1</source>
            <translation>PID %1</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/port_in_use_dialog.cpp" line="73" />
            <source>%1 (PID %2)</source>
            <translation>%1 (PID %2)</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ProcessRunner</name>
        <message>
            <location filename="../ui/setup/command_runner.cpp" line="27" />
            <source>%1 did not finish</source>
            <translation>%1 ne s’est pas terminé à temps</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::RequestSnippets</name>
        <message>
            <location filename="../ui/detail/request_snippets.cpp" line="40" />
            <source>The request body (%1 bytes) is left out: it is too large or was not recorded in full</source>
            <translation>Le corps de la requête (%1 octets) est omis : il est trop gros ou n’a pas été enregistré en entier</translation>
        </message>
        <message>
            <location filename="../ui/detail/request_snippets.cpp" line="50" />
            <source>The request body (%1 bytes) is binary and left out</source>
            <translation>Le corps de la requête (%1 octets) est binaire et omis</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::SettingsDialog</name>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="70" />
            <source>Preferences</source>
            <translation>Préférences</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="74" />
            <source>Proxy</source>
            <translation>Proxy</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="83" />
            <source>port</source>
            <translation>port</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="85" />
            <source>&amp;Listen on:</source>
            <translation>É&amp;couter sur :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="88" />
            <source>Other machines can reach the proxy on this address.</source>
            <translation>D’autres machines peuvent joindre le proxy à cette adresse.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="94" />
            <source>A second listener for clients that speak TLS to the proxy (curl -x https://..., Chromium --proxy-server=https://...)</source>
            <translation>Une seconde écoute pour les clients qui parlent TLS au proxy (curl -x https://..., Chromium --proxy-server=https://...)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="96" />
            <source>&amp;HTTPS proxy port:</source>
            <translation>Port du proxy &amp;HTTPS :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="96" />
            <source>(0: none)</source>
            <translation>(0 : aucun)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="100" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="102" />
            <source>&amp;Intercept TLS (decrypt with Tunnelscope's CA)</source>
            <translation>&amp;Intercepter TLS (déchiffrer avec l’AC de Tunnelscope)</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="108" />
            <source>*.bank.example
re:^login\.
One pattern per line</source>
            <translation>*.bank.example
re:^login\.
Un motif par ligne</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="111" />
            <source>&amp;Pass through:</source>
            <translation>&amp;Laisser passer :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="113" />
            <source>&amp;Verify servers' certificates</source>
            <translation>&amp;Vérifier les certificats des serveurs</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="119" />
            <source>Memory</source>
            <translation>Mémoire</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="121" />
            <source>&amp;Recorded flows in memory:</source>
            <translation>Échanges &amp;enregistrés en mémoire :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="122" />
            <source>MiB</source>
            <translation>Mio</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="125" />
            <source>&amp;One body in memory:</source>
            <translation>&amp;Un corps en mémoire :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="126" />
            <source>KiB, the rest spills to disk</source>
            <translation>Kio, le reste va sur le disque</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="129" />
            <source>&amp;Frame log:</source>
            <translation>Journal de &amp;trames :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="129" />
            <source>frames per connection</source>
            <translation>trames par connexion</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="134" />
            <source>Appearance</source>
            <translation>Apparence</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="138" />
            <source>Follow the system</source>
            <translation>Suivre le système</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="139" />
            <source>Light</source>
            <translation>Clair</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="140" />
            <source>Dark</source>
            <translation>Sombre</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="142" />
            <source>Colo&amp;urs:</source>
            <translation>C&amp;ouleurs :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="136" />
            <source>Server-side connections go through these proxies in order, hop 1 first; each hop is reached through the ones before it. No hops: direct. Passwords are shown as ***. Changes apply to connections opened from then on.</source>
            <translation>Les connexions côté serveur passent par ces proxys dans l’ordre, le saut 1 d’abord ; chaque saut est joint à travers les précédents. Aucun saut : direct. Les mots de passe s’affichent comme ***. Les changements s’appliquent aux connexions ouvertes ensuite.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="142" />
            <source>&amp;Chain:</source>
            <translation>&amp;Chaîne :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="144" />
            <source>http://user:password@proxy.example:3128</source>
            <translation>http://utilisateur:motdepasse@proxy.example:3128</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="147" />
            <source>&amp;Rules:</source>
            <translation>&amp;Règles :</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="149" />
            <source>*.corp.example = http://proxy:3128   or   10.* = direct</source>
            <translation>*.corp.example = http://proxy:3128   ou   10.* = direct</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="152" />
            <source>A rule sends the hosts its globs match through its own chain (hop URLs separated by commas) or direct; the first rule that matches wins, the chain above takes the rest.</source>
            <translation>Une règle envoie les hôtes que ses motifs désignent par sa propre chaîne (URL des sauts séparées par des virgules) ou en direct ; la première règle qui correspond l’emporte, la chaîne ci-dessus prend le reste.</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="171" />
            <source>General</source>
            <translation>Général</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="172" />
            <source>Upstream proxies</source>
            <translation>Proxys amont</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="217" />
            <source>&amp;Add</source>
            <translation>&amp;Ajouter</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="219" />
            <source>Remove</source>
            <translation>Retirer</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="221" />
            <source>Up</source>
            <translation>Monter</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="223" />
            <source>Down</source>
            <translation>Descendre</translation>
        </message>
        <message>
            <location filename="../ui/dialogs/settings_dialog.cpp" line="369" />
            <source>Press Add to use it, or clear the field.</source>
            <translation>Appuyez sur Ajouter pour l’utiliser, ou videz le champ.</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::StreamModel</name>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="174" />
            <source>Double-click to show flow #%1</source>
            <translation>Double-cliquez pour afficher l’échange n° %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="176" />
            <source>RST_STREAM error code %1</source>
            <translation>Code d’erreur RST_STREAM %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="199" />
            <source>Stream</source>
            <translation>Flux</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="201" />
            <source>Summary</source>
            <translation>Résumé</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="203" />
            <source>State</source>
            <translation>État</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="205" />
            <source>In</source>
            <translation>Entrant</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="207" />
            <source>Out</source>
            <translation>Sortant</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="209" />
            <source>Local window</source>
            <translation>Fenêtre locale</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="211" />
            <source>Remote window</source>
            <translation>Fenêtre distante</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="213" />
            <source>Reset</source>
            <translation>Réinitialisation</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="215" />
            <source>Flow</source>
            <translation>Échange</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="221" />
            <source>The latest state; the tooltip of a cell lists every change</source>
            <translation>Le dernier état ; l’infobulle d’une cellule liste chaque changement</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="223" />
            <source>DATA payload received from the peer</source>
            <translation>Charge utile DATA reçue du pair</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="225" />
            <source>DATA payload sent to the peer</source>
            <translation>Charge utile DATA envoyée au pair</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="227" />
            <source>What the peer may still send us</source>
            <translation>Ce que le pair peut encore nous envoyer</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="229" />
            <source>What we may still send the peer</source>
            <translation>Ce que nous pouvons encore envoyer au pair</translation>
        </message>
        <message>
            <location filename="../ui/panes/stream_model.cpp" line="231" />
            <source>The RST_STREAM error code, when the stream was reset</source>
            <translation>Le code d’erreur RST_STREAM, quand le flux a été réinitialisé</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::StreamsPane</name>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="38" />
            <source>The state changes of the selected stream</source>
            <translation>Les changements d’état du flux sélectionné</translation>
        </message>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="117" />
            <source>Select a connection to see its streams</source>
            <translation>Sélectionnez une connexion pour voir ses flux</translation>
        </message>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="119" />
            <source>Connection #%1: not multiplexed, no streams</source>
            <translation>Connexion n° %1 : non multiplexée, aucun flux</translation>
        </message>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="121" />
            <source>Connection #%1: 1 stream</source>
            <translation>Connexion n° %1 : 1 flux</translation>
        </message>
        <message>
            <location filename="../ui/panes/streams_pane.cpp" line="124" />
            <source>Connection #%1: %L2 streams</source>
            <translation>Connexion n° %1 : %L2 flux</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::StructureModel</name>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="145" />
            <source>All flows</source>
            <translation>Tous les échanges</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="148" />
            <source>Every flow; select a host or path to show only its flows</source>
            <translation>Tous les échanges ; choisissez un hôte ou un chemin pour n’afficher que ses échanges</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="150" />
            <source>Flows to %1: %2</source>
            <translation>Échanges vers %1 : %2</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="152" />
            <source>Flows under %1/%2: %3</source>
            <translation>Échanges sous %1/%2 : %3</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="175" />
            <source>Host and path</source>
            <translation>Hôte et chemin</translation>
        </message>
        <message>
            <location filename="../ui/views/structure_model.cpp" line="177" />
            <source>Flows</source>
            <translation>Échanges</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TimelinePane</name>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="41" />
            <source>Lookup</source>
            <translation>Résolution</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="42" />
            <source>Connect</source>
            <translation>Connexion</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="43" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="44" />
            <source>Request sent</source>
            <translation>Requête envoyée</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="45" />
            <source>Waiting</source>
            <translation>Attente</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="46" />
            <source>Receiving</source>
            <translation>Réception</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="47" />
            <source>Open or no timings</source>
            <translation>Ouvert ou sans mesures</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="73" />
            <source>%1 selected flows over %2</source>
            <translation>%1 échanges sélectionnés sur %2</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="74" />
            <source>%1 flows shown in the table, over %2; select two or more rows to draw only those</source>
            <translation>%1 échanges affichés dans le tableau, sur %2 ; sélectionnez deux lignes ou plus pour ne tracer qu’elles</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_pane.cpp" line="53" />
            <source>Ctrl+wheel zooms</source>
            <translation>Ctrl+molette : zoom</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TimelineView</name>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="273" />
            <source>Starts at +%1</source>
            <translation>Commence à +%1</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="275" />
            <source>%1: %2</source>
            <translation>%1 : %2</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="277" />
            <source>Still open</source>
            <translation>Encore ouvert</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="279" />
            <source>Total: %1</source>
            <translation>Total : %1</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="298" />
            <source>No flows to show. The timeline draws the flows the table shows, or the rows selected in it when there are two or more.</source>
            <translation>Aucun échange à afficher. La chronologie trace les échanges du tableau, ou les lignes qui y sont sélectionnées quand il y en a deux ou plus.</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="373" />
            <source>Flow</source>
            <translation>Échange</translation>
        </message>
        <message>
            <location filename="../ui/views/timeline_view.cpp" line="1" />
            <source>Flow (zoom %1×)</source>
            <translation>Échange (zoom %1×)</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TimingView</name>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="14" />
            <source>%1 µs</source>
            <translation>%1 µs</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="16" />
            <source>%1 ms</source>
            <translation>%1 ms</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="17" />
            <source>%1 s</source>
            <translation>%1 s</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="41" />
            <source>Name lookup</source>
            <translation>Résolution du nom</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="42" />
            <source>Connect</source>
            <translation>Connexion</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="44" />
            <source>TLS handshake</source>
            <translation>Négociation TLS</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="45" />
            <source>Request sent</source>
            <translation>Requête envoyée</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="46" />
            <source>Waiting (first byte)</source>
            <translation>Attente (premier octet)</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="47" />
            <source>Receiving</source>
            <translation>Réception</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="54" />
            <source>The server connection was reused: no lookup, connect or TLS.</source>
            <translation>La connexion au serveur a été réutilisée : ni résolution, ni connexion, ni TLS.</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="57" />
            <source>Tunnels have no request timings; their exchanges do.</source>
            <translation>Les tunnels n’ont pas de temps de requête ; leurs échanges, si.</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="95" />
            <source>No timings recorded.</source>
            <translation>Aucun temps enregistré.</translation>
        </message>
        <message>
            <location filename="../ui/detail/timing_view.cpp" line="118" />
            <source>Total %1</source>
            <translation>Total %1</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TlsView</name>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="44" />
            <source>no TLS</source>
            <translation>pas de TLS</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="48" />
            <source>Failure</source>
            <translation>Échec</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="49" />
            <source>SNI</source>
            <translation>SNI</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="50" />
            <source>ALPN offered</source>
            <translation>ALPN proposés</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="51" />
            <source>ALPN chosen</source>
            <translation>ALPN choisi</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="52" />
            <source>Version</source>
            <translation>Version</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="53" />
            <source>Cipher</source>
            <translation>Chiffrement</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="55" />
            <source>Handshake</source>
            <translation>Négociation</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="56" />
            <source>%1 ms</source>
            <translation>%1 ms</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="59" />
            <source>Verification</source>
            <translation>Vérification</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="61" />
            <source>verified</source>
            <translation>vérifié</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="62" />
            <source>not verified: %1</source>
            <translation>non vérifié : %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="66" />
            <source>Server's certificate chain</source>
            <translation>Chaîne de certificats du serveur</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="67" />
            <source>Certificate shown to the client</source>
            <translation>Certificat présenté au client</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/tls_view.cpp" line="68" />
            <source>%n certificate(s)</source>
            <translation>
                <numerusform>%n certificat</numerusform>
                <numerusform>%n certificats</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="71" />
            <source>Subject</source>
            <translation>Sujet</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="72" />
            <source>Issuer</source>
            <translation>Émetteur</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="74" />
            <source>Names</source>
            <translation>Noms</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="75" />
            <source>Valid</source>
            <translation>Validité</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="76" />
            <source>%1 to %2</source>
            <translation>du %1 au %2</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="78" />
            <source>Key</source>
            <translation>Clé</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="80" />
            <source>Serial</source>
            <translation>Numéro de série</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="81" />
            <source>SHA-256</source>
            <translation>SHA-256</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="90" />
            <source>Field</source>
            <translation>Champ</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="90" />
            <source>Value</source>
            <translation>Valeur</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="109" />
            <source>Client side (client ↔ proxy)</source>
            <translation>Côté client (client ↔ proxy)</translation>
        </message>
        <message>
            <location filename="../ui/detail/tls_view.cpp" line="110" />
            <source>Server side (proxy ↔ server)</source>
            <translation>Côté serveur (proxy ↔ serveur)</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TunnelModel</name>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="37" />
            <source>open</source>
            <translation>ouvert</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="39" />
            <source>closed</source>
            <translation>fermé</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="41" />
            <source>failed</source>
            <translation>échec</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="204" />
            <source>%1 stream %2 on connection %3</source>
            <translation>flux %1 %2 sur la connexion %3</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="208" />
            <source>%1 CONNECT</source>
            <translation>%1 CONNECT</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="214" />
            <source>0 B/s</source>
            <translation>0 o/s</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="215" />
            <source>%1/s</source>
            <translation>%1/s</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="238" />
            <source>Over the last %1 ms between updates</source>
            <translation>Sur les dernières %1 ms entre deux mises à jour</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="271" />
            <source>intercepted</source>
            <translation>intercepté</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="271" />
            <source>passed through</source>
            <translation>laissé passer</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="317" />
            <source>#</source>
            <translation>N°</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="319" />
            <source>Client</source>
            <translation>Client</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="321" />
            <source>Target</source>
            <translation>Cible</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="323" />
            <source>Carrier</source>
            <translation>Porteur</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="325" />
            <source>TLS</source>
            <translation>TLS</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="327" />
            <source>Sent ↑</source>
            <translation>Envoyé ↑</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="329" />
            <source>Received ↓</source>
            <translation>Reçu ↓</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="331" />
            <source>Throughput</source>
            <translation>Débit</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="333" />
            <source>State</source>
            <translation>État</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="335" />
            <source>Close reason</source>
            <translation>Motif de fermeture</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="352" />
            <source>How the client asked for the tunnel</source>
            <translation>Comment le client a demandé le tunnel</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="354" />
            <source>Intercepted (decrypted) or passed through as it is; the tooltip says why</source>
            <translation>Intercepté (déchiffré) ou laissé passer tel quel ; l’infobulle dit pourquoi</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="356" />
            <source>Bytes from the client to the server</source>
            <translation>Octets du client vers le serveur</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="358" />
            <source>Bytes from the server to the client</source>
            <translation>Octets du serveur vers le client</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnel_model.cpp" line="360" />
            <source>Bytes per second each way between the last two updates</source>
            <translation>Octets par seconde dans chaque sens entre les deux dernières mises à jour</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::TunnelsPane</name>
        <message>
            <location filename="../ui/panes/tunnels_pane.cpp" line="107" />
            <source>Flows carried by tunnel #%1</source>
            <translation>Échanges portés par le tunnel n° %1</translation>
        </message>
        <message>
            <location filename="../ui/panes/tunnels_pane.cpp" line="108" />
            <source>Select a tunnel to see the flows it carried</source>
            <translation>Sélectionnez un tunnel pour voir les échanges qu’il a portés</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::ViewDocks</name>
        <message>
            <location filename="../ui/views/view_docks.cpp" line="24" />
            <source>Structure</source>
            <translation>Structure</translation>
        </message>
        <message>
            <location filename="../ui/views/view_docks.cpp" line="29" />
            <source>Struct&amp;ure</source>
            <translation>Str&amp;ucture</translation>
        </message>
        <message>
            <location filename="../ui/views/view_docks.cpp" line="34" />
            <source>Timeline</source>
            <translation>Chronologie</translation>
        </message>
        <message>
            <location filename="../ui/views/view_docks.cpp" line="39" />
            <source>Time&amp;line</source>
            <translation>Chrono&amp;logie</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::WebSocketMessageModel</name>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Text</source>
            <translation>Texte</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Binary</source>
            <translation>Binaire</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Close</source>
            <translation>Fermeture</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Ping</source>
            <translation>Ping</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Pong</source>
            <translation>Pong</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Opcode %1</source>
            <translation>Opcode %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Sent by the client</source>
            <translation>Envoyé par le client</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Received from the server</source>
            <translation>Reçu du serveur</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Time</source>
            <translation>Heure</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Type</source>
            <translation>Type</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Size</source>
            <translation>Taille</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_message_model.cpp" line="1" />
            <source>Data</source>
            <translation>Données</translation>
        </message>
    </context>
    <context>
        <name>ts::ui::WebSocketView</name>
        <message>
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>Select a message to see it whole.</source>
            <translation>Sélectionnez un message pour l’afficher en entier.</translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>%n message(s) not recorded: past this flow's budget.</source>
            <translation>
                <numerusform>%n message non enregistré : au-delà du budget de cet échange.</numerusform>
                <numerusform>%n messages non enregistrés : au-delà du budget de cet échange.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>%n long message(s) recorded in part.</source>
            <translation>
                <numerusform>%n message long enregistré en partie.</numerusform>
                <numerusform>%n messages longs enregistrés en partie.</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>Recording stopped: %1</source>
            <translation>Enregistrement arrêté : %1</translation>
        </message>
        <message>
            <location filename="../ui/detail/websocket_view.cpp" line="1" />
            <source>Close code %1</source>
            <translation>Code de fermeture %1</translation>
        </message>
    </context>
</TS>
