import type { Domain, DomainInfo, Hypervisor } from '@unraid/libvirt';

type HypervisorClass = typeof import('@unraid/libvirt').Hypervisor;

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
async function keepTestDriver(uri: string, Hypervisor: HypervisorClass): Promise<void> {
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
 * True when libvirtd did not answer, or stopped answering: not running
 * (yet), restarting, its socket not there. Unlike a bad URI, that may pass.
 * The binding loses libvirt's error codes: the message is all there is.
 */
export function isUnreachable(error: unknown): boolean {
  return (
    error instanceof Error &&
    /Failed to connect socket|unable to connect to server|client socket is closed|Cannot (recv|write) data|End of file while reading data/.test(error.message)
  );
}

/**
 * One connection to a libvirt URI, through @unraid/libvirt. The binding is
 * imported when a connection is made, so a binding that was never built fails
 * the resource that needs it with a clear error, not the plugin's loading.
 * The connection opens at its first call, and at each later call until it
 * has opened (libvirtd may not answer yet). One that libvirtd closed (a
 * restart, an upgrade) is opened anew by the next lookup.
 */
export class LibvirtConnection {
  /** The connection, opened or opening; undefined until a call opens it. */
  private hypervisor: Promise<Hypervisor> | undefined;

  private constructor(
    readonly uri: string,
    private readonly Hypervisor: HypervisorClass,
  ) {}

  /** A connection to `uri`, not opened yet. Fails only when the binding cannot be loaded. */
  static async create(uri: string): Promise<LibvirtConnection> {
    const { Hypervisor } = await import('@unraid/libvirt');
    if (uri.startsWith('test:')) await keepTestDriver(uri, Hypervisor);
    return new LibvirtConnection(uri, Hypervisor);
  }

  /** Opens the connection now, unless it is open. */
  async open(): Promise<void> {
    await this.connected();
  }

  /** The domain called `name`, or undefined when there is none. */
  async lookup(name: string): Promise<Domain | undefined> {
    try {
      return await this.reading((hypervisor) => hypervisor.domainLookupByName(name));
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
    return (await this.connected()).domainDefineXML(xml);
  }

  /** Creates and starts a transient domain from XML. */
  async createTransient(xml: string): Promise<Domain> {
    return (await this.connected()).domainCreateXML(xml);
  }

  async close(): Promise<void> {
    const opened = this.hypervisor;
    this.hypervisor = undefined;
    await (await opened?.catch(() => undefined))?.connectClose();
  }

  /** The open connection, opened now when there is none; a failed open is tried again by the next call. */
  private connected(): Promise<Hypervisor> {
    if (!this.hypervisor) {
      const hypervisor = new this.Hypervisor({ uri: this.uri });
      const opening = hypervisor.connectOpen().then(() => hypervisor);
      this.hypervisor = opening;
      opening.catch(() => {
        if (this.hypervisor === opening) this.hypervisor = undefined;
      });
    }
    return this.hypervisor;
  }

  /**
   * Reads through the open connection. One that libvirtd closed since it
   * opened (restarted, upgraded) is dead for good: it is dropped, and the
   * read is made once more on a new one. Each check and each poll starts
   * with a read, so neither keeps failing on a dead connection.
   */
  private async reading<T>(read: (hypervisor: Hypervisor) => Promise<T>): Promise<T> {
    const opened = this.connected();
    const hypervisor = await opened;
    try {
      return await read(hypervisor);
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      if (this.hypervisor === opened) {
        this.hypervisor = undefined;
        hypervisor.connectClose().catch(() => undefined);
      }
      return read(await this.connected());
    }
  }

  // The binding has no virDomainIsPersistent nor virDomainGetAutostart:
  // listing with a filter flag answers the same question.
  private async hasFlag(name: string, flag: number): Promise<boolean> {
    const domains = await this.reading((hypervisor) => hypervisor.connectListAllDomains(flag));
    const names = await Promise.all(domains.map((d) => d.getName()));
    return names.includes(name);
  }
}
