/**
 * FTP control passes and its passive data connection does not: open the range (iptables and nft
 * take it as A:B and A-B), or let a stateful firewall follow the control connection with its FTP
 * helper, or narrow the range the update manager offers to what the firewall allows.
 */
import type { PathReport, Remedy } from '../../src/report.js';

export function ftpDataFixes(path: PathReport, nodeAddress: string): Remedy[] {
  const evidence = path.evidence.kind === 'ftp-data' ? path.evidence : undefined;
  const range = evidence?.dataPorts ?? String(path.port);
  const [first, last = first] = range.split('-');
  const controller = path.to;
  return [
    {
      title: `FTP control passes but the passive data range ${range} does not: allow it from ${nodeAddress} to ${controller}`,
      where: 'on every firewall/router between node and controller, and on the controller',
      lines: [
        `iptables -I FORWARD -s ${nodeAddress} -d ${controller} -p tcp --dport ${first}:${last} -j ACCEPT`,
        `nft insert rule inet filter forward ip saddr ${nodeAddress} ip daddr ${controller} tcp dport ${first}-${last} accept`,
        `iptables -I INPUT -p tcp --dport ${first}:${last} -j ACCEPT   # on the controller`,
        `firewall-cmd --add-port=${first}-${last}/tcp   # on the controller, if it runs firewalld`,
      ],
    },
    {
      title: 'or let a stateful Linux firewall admit the data connections its FTP helper relates to the control connection',
      where: 'on the firewall/router that drops them',
      lines: [
        'modprobe nf_conntrack_ftp',
        `iptables -t raw -A PREROUTING -p tcp -d ${controller} --dport ${evidence?.controlPort ?? 21} -j CT --helper ftp`,
        'iptables -I FORWARD -m conntrack --ctstate RELATED -m helper --helper ftp -p tcp -j ACCEPT',
      ],
    },
    {
      title: `or narrow the passive range the update manager offers to ports the firewall passes, and re-test it`,
      where: 'update manager FTP settings, then twoway',
      lines: [`twoway run --ftp --ftp-data-ports ${first}-${last}   # with the narrowed range`],
    },
  ];
}
