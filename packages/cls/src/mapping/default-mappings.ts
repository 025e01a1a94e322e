import alert_compromisedcredential from './defaults/alerts/compromisedcredential.json' with { type: 'json' };
import alert_ctep from './defaults/alerts/ctep.json' with { type: 'json' };
import alert_dlp from './defaults/alerts/dlp.json' with { type: 'json' };
import alert_malsite from './defaults/alerts/malsite.json' with { type: 'json' };
import alert_malware from './defaults/alerts/malware.json' with { type: 'json' };
import alert_policy from './defaults/alerts/policy.json' with { type: 'json' };
import alert_quarantine from './defaults/alerts/quarantine.json' with { type: 'json' };
import alert_remediation from './defaults/alerts/remediation.json' with { type: 'json' };
import alert_securityassessment from './defaults/alerts/securityassessment.json' with { type: 'json' };
import alert_uba from './defaults/alerts/uba.json' with { type: 'json' };
import alert_watchlist from './defaults/alerts/watchlist.json' with { type: 'json' };
import event_application from './defaults/events/application.json' with { type: 'json' };
import event_audit from './defaults/events/audit.json' with { type: 'json' };
import event_clientstatus from './defaults/events/clientstatus.json' with { type: 'json' };
import event_connection from './defaults/events/connection.json' with { type: 'json' };
import event_endpoint from './defaults/events/endpoint.json' with { type: 'json' };
import event_incident from './defaults/events/incident.json' with { type: 'json' };
import event_infrastructure from './defaults/events/infrastructure.json' with { type: 'json' };
import event_network from './defaults/events/network.json' with { type: 'json' };
import event_page from './defaults/events/page.json' with { type: 'json' };
import type { MappingSet, SubtypeMapping } from './mapping-schema.js';

/**
 * The mappings that ship with the package, one JSON file per type/subtype under
 * `src/mapping/defaults/` (CEF, LEEF and syslog for each Netskope event and alert subtype). They
 * follow Netskope's data export field names; override them with {@link mergeMappings}. Frozen:
 * merging returns new objects.
 */
export const defaultMappings: MappingSet = deepFreeze({
  version: 1,
  events: {
    page: event_page as SubtypeMapping,
    application: event_application as SubtypeMapping,
    network: event_network as SubtypeMapping,
    audit: event_audit as SubtypeMapping,
    infrastructure: event_infrastructure as SubtypeMapping,
    incident: event_incident as SubtypeMapping,
    endpoint: event_endpoint as SubtypeMapping,
    connection: event_connection as SubtypeMapping,
    clientstatus: event_clientstatus as SubtypeMapping,
  },
  alerts: {
    dlp: alert_dlp as SubtypeMapping,
    malware: alert_malware as SubtypeMapping,
    malsite: alert_malsite as SubtypeMapping,
    policy: alert_policy as SubtypeMapping,
    compromisedcredential: alert_compromisedcredential as SubtypeMapping,
    uba: alert_uba as SubtypeMapping,
    securityassessment: alert_securityassessment as SubtypeMapping,
    quarantine: alert_quarantine as SubtypeMapping,
    remediation: alert_remediation as SubtypeMapping,
    watchlist: alert_watchlist as SubtypeMapping,
    ctep: alert_ctep as SubtypeMapping,
  },
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
