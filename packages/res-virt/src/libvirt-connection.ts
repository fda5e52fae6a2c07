import type { Domain, DomainInfo, Hypervisor } from '@unraid/libvirt';

/** libvirt's domain states (virDomainState), as getInfo reports them. */
export const DomainState = { RUNNING: 1, BLOCKED: 2, PAUSED: 3, SHUTDOWN: 4, SHUTOFF: 5, CRASHED: 6, PMSUSPENDED: 7 } as const;

/** virConnectListAllDomainsFlags used here. */
const LIST_PERSISTENT = 4;
const LIST_AUTOSTART = 1024;
/** virDomainXMLFlags: the definition for the next boot rather than the live one. */
const XML_INACTIVE = 2;

/** True for a libvirt error that says the domain does not exist (VIR_ERR_NO_DOMAIN). */
export function isNoDomainError(error: unknown): boolean {
  // The binding loses libvirt's error codes (they arrive as -1): the message is all there is.
  return error instanceof Error && /^Domain not found/.test(error.message);
}

export function isActive(state: number): boolean {
  return state !== DomainState.SHUTOFF && state !== DomainState.CRASHED;
}

/** One connection per test-driver URI, open for as long as the process runs (see keepTestDriver). */
const testDriverKeepers = new Map<string, Promise<unknown>>();

/**
 * The test driver keeps its domains in this process for as long as a
 * connection to it is open. A graph swap replaces a resource: the old one's
 * connection closes while the new one's opens, and when the close came
 * first, the domain was gone and was defined anew (QA: 1 reload in 6). One
 * connection per such URI is kept open until the process ends.
 */
async function keepTestDriver(uri: string, Hypervisor: typeof import('@unraid/libvirt').Hypervisor): Promise<void> {
  let keeper = testDriverKeepers.get(uri);
  if (!keeper) {
    const hypervisor = new Hypervisor({ uri });
    keeper = hypervisor.connectOpen();
    testDriverKeepers.set(uri, keeper);
    // Opened again by the next resource if it failed.
    keeper.catch(() => testDriverKeepers.delete(uri));
  }
  await keeper.catch(() => undefined);
}

/**
 * One connection to a libvirt URI, through @unraid/libvirt. The binding is
 * imported when a connection opens, so a binding that was never built fails
 * the resource that needs it with a clear error, not the plugin's loading.
 */
export class LibvirtConnection {
  private constructor(
    readonly uri: string,
    private readonly hypervisor: Hypervisor,
  ) {}

  static async open(uri: string): Promise<LibvirtConnection> {
    const { Hypervisor } = await import('@unraid/libvirt');
    if (uri.startsWith('test:')) await keepTestDriver(uri, Hypervisor);
    const hypervisor = new Hypervisor({ uri });
    await hypervisor.connectOpen();
    return new LibvirtConnection(uri, hypervisor);
  }

  /** The domain called `name`, or undefined when there is none. */
  async lookup(name: string): Promise<Domain | undefined> {
    try {
      return await this.hypervisor.domainLookupByName(name);
    } catch (error) {
      if (isNoDomainError(error)) return undefined;
      throw error;
    }
  }

  async info(domain: Domain): Promise<DomainInfo> {
    return domain.getInfo();
  }

  async liveXml(domain: Domain): Promise<string> {
    return domain.getXMLDesc();
  }

  async configXml(domain: Domain): Promise<string> {
    return domain.getXMLDesc(XML_INACTIVE);
  }

  async isPersistent(name: string): Promise<boolean> {
    return this.hasFlag(name, LIST_PERSISTENT);
  }

  async isAutostart(name: string): Promise<boolean> {
    return this.hasFlag(name, LIST_AUTOSTART);
  }

  /** Defines (or redefines) a persistent domain from XML. */
  async define(xml: string): Promise<Domain> {
    return this.hypervisor.domainDefineXML(xml);
  }

  /** Creates and starts a transient domain from XML. */
  async createTransient(xml: string): Promise<Domain> {
    return this.hypervisor.domainCreateXML(xml);
  }

  async close(): Promise<void> {
    await this.hypervisor.connectClose();
  }

  // The binding has no virDomainIsPersistent nor virDomainGetAutostart:
  // listing with a filter flag answers the same question.
  private async hasFlag(name: string, flag: number): Promise<boolean> {
    const domains = await this.hypervisor.connectListAllDomains(flag);
    const names = await Promise.all(domains.map((d) => d.getName()));
    return names.includes(name);
  }
}
