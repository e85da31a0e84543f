<?php
// The kubelet's probe: proves nginx and PHP-FPM answer, and touches no database (a database
// outage must not restart every pod of a color).
header( 'Content-Type: text/plain; charset=utf-8' );
header( 'Cache-Control: no-store' );
echo "ok\n";
