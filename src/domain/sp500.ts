// An S&P 500-like universe: real tickers grouped by their GICS sector (public facts, as of 2024-25;
// the index changes every quarter, so this is "S&P 500-like", not an authoritative constituent list).
//
// Kept as one string per sector and expanded once at load, so the table stays readable and small.
// A token is `TICKER` or `TICKER:price`. The price, where given, is a rounded, illustrative level for the
// simulator's starting point; where not given, a price is derived from a hash of the ticker (log-uniform,
// $20..$400), so the table is deterministic without any randomness at load.
// Daily volatility = the sector's typical daily volatility × a per-symbol spread in [0.75, 1.45) from the
// same hash: reproducible, and different symbols of one sector do not move identically.
import type { SymbolInfo } from './universe.ts';

interface SectorRow {
  sector: string;
  /** Typical daily volatility of a stock in the sector, as a fraction. */
  vol: number;
  tickers: string;
}

const ROWS: readonly SectorRow[] = [
  {
    sector: 'Information Technology',
    vol: 0.022,
    tickers: `AAPL:190 MSFT:410 NVDA:120 AVGO:170 ORCL:140 CRM:280 ADBE:500 AMD:150 CSCO:50 ACN:340 IBM:190
      INTU:630 QCOM:170 TXN:190 NOW:800 AMAT:200 MU:100 LRCX:80 ADI:220 KLAC:750 PANW:350 ANET:90 SNPS:520
      CDNS:280 INTC:30 APH:65 MSI:420 ROP:540 CRWD:330 FTNT:65 ADSK:260 NXPI:230 MCHP:75 TEL:150 IT:450 CTSH:75
      GLW:45 MPWR:700 HPQ:35 ON:60 CDW:220 KEYS:150 ANSS:330 FICO:1700 HPE:20 TYL:560 TDY:450 NTAP:120 WDC:65
      STX:100 PTC:180 TER:120 ZBRA:350 SMCI:40 FSLR:200 GDDY:170 TRMB:60 VRSN:190 JBL:130 AKAM:100 EPAM:200
      ENPH:90 SWKS:90 FFIV:210 JNPR:38 GEN:28 QRVO:80 PLTR:40 DELL:120 WDAY:250 APP`,
  },
  {
    sector: 'Communication Services',
    vol: 0.019,
    tickers: `GOOGL:170 GOOG:172 META:500 NFLX:650 DIS:100 CMCSA:40 VZ:41 T:20 TMUS:200 CHTR:330 EA:140 TTWO:160
      WBD:9 OMC:100 IPG:30 LYV:100 FOXA:40 FOX:37 NWSA:27 NWS:28 MTCH:35 PARA:11 TKO`,
  },
  {
    sector: 'Consumer Discretionary',
    vol: 0.02,
    tickers: `AMZN:185 TSLA:220 HD:360 MCD:270 LOW:240 NKE:85 SBUX:85 BKNG:3900 TJX:110 CMG:55 ABNB:140
      ORLY:1050 MAR:240 AZO:2950 GM:48 F:11 HLT:220 ROST:145 DHI:170 LEN:160 YUM:135 RCL:170 LULU:300 EBAY:55
      TSCO:270 GPC:140 DECK:850 ULTA:380 PHM:120 NVR:8500 DRI:160 GRMN:170 LVS:45 CCL:18 EXPE:130 BBY:85 APTV:70
      KMX:75 POOL:360 LKQ:42 MGM:40 WYNN:90 HAS:60 TPR:45 RL:190 BWA:33 CZR:40 NCLH:20 MHK:130 DPZ:420 WSM:150
      DASH`,
  },
  {
    sector: 'Consumer Staples',
    vol: 0.012,
    tickers: `WMT:70 COST:850 PG:165 KO:63 PEP:170 PM:120 MO:50 MDLZ:68 CL:95 TGT:150 KMB:140 GIS:68 KDP:34
      STZ:250 SYY:75 KR:55 MNST:50 ADM:60 HSY:190 KHC:35 EL:90 CHD:100 CLX:150 MKC:75 K:80 DG:130 DLTR:100
      KVUE:20 TSN:60 CAG:30 SJM:115 HRL:32 CPB:45 LW:75 BG:100 TAP:55 BF.B:45 WBA:10`,
  },
  {
    sector: 'Energy',
    vol: 0.02,
    tickers: `XOM:115 CVX:155 COP:110 EOG:125 SLB:45 MPC:170 PSX:140 VLO:150 OXY:60 WMB:42 KMI:22 OKE:95 HES:145
      FANG:190 HAL:33 DVN:45 BKR:35 CTRA:27 TRGP:150 EQT:35 APA:28 MRO:28 TPL`,
  },
  {
    sector: 'Financials',
    vol: 0.016,
    tickers: `BRK.B:420 JPM:200 V:275 MA:460 BAC:40 WFC:58 GS:470 MS:100 SPGI:480 AXP:240 BLK:850 C:62 SCHW:70
      CB:270 MMC:220 PGR:210 ICE:150 CME:210 AON:320 PNC:160 USB:42 MCO:440 AJG:280 TFC:40 COF:145 MET:75 AIG:75
      AFL:100 TRV:230 ALL:180 PRU:120 BK:65 MSCI:550 AMP:460 FIS:80 FI:160 PYPL:65 DFS:130 HIG:110 ACGL:100
      WTW:290 MTB:170 FITB:40 STT:80 RJF:120 TROW:110 NDAQ:65 BRO:100 CINF:130 RF:22 HBAN:14 NTRS:90 SYF:50
      CFG:38 KEY:16 CBOE:190 PFG:80 WRB:60 L:80 FDS:450 GPN:100 JKHY:170 MKTX:220 EG:390 AIZ:180 GL:110
      BEN:22 IVZ:17 ERIE:420 CPAY:330 KKR:120 BX:140 APO:120 COIN`,
  },
  {
    sector: 'Health Care',
    vol: 0.015,
    tickers: `LLY:850 UNH:520 JNJ:155 ABBV:180 MRK:120 TMO:580 ABT:110 DHR:260 PFE:29 AMGN:310 ISRG:450 SYK:350
      ELV:500 BSX:80 VRTX:470 MDT:85 REGN:1000 GILD:75 CI:340 BMY:45 ZTS:180 CVS:60 BDX:235 HCA:350 MCK:580 EW:70
      IDXX:500 A:140 IQV:230 GEHC:85 RMD:230 DXCM:75 HUM:270 CNC:70 COR:235 CAH:110 BIIB:210 MTD:1400 WST:320
      ZBH:110 STE:230 MRNA:100 WAT:340 BAX:35 LH:220 DGX:150 HOLX:75 COO:100 ALGN:240 MOH:320 PODD:200 RVTY:110
      VTRS:12 TECH:70 CRL:200 INCY:60 UHS:200 HSIC:70 DVA:140 CTLT:60 SOLV:50 BIO:300 TFX:220`,
  },
  {
    sector: 'Industrials',
    vol: 0.016,
    tickers: `GE:170 CAT:340 RTX:110 UNP:240 HON:210 UBER:70 ETN:320 BA:180 LMT:460 DE:390 ADP:250 UPS:135
      WM:210 TT:350 PH:560 GD:290 NOC:480 ITW:250 TDG:1300 EMR:110 CTAS:190 MMM:105 CSX:34 FDX:280 NSC:240
      CARR:65 PCAR:105 GWW:950 JCI:70 CPRT:55 RSG:200 URI:700 OTIS:95 PWR:280 FAST:68 AME:170 CMI:290 PAYX:130
      VRSK:270 ODFL:190 HWM:90 LHX:230 IR:90 XYL:135 ROK:270 EFX:260 DAL:50 WAB:170 FTV:70 AXON:350 DOV:185
      BR:210 HUBB:400 LDOS:150 BLDR:160 VLTO:105 UAL:50 EXPD:120 J:140 TXT:88 LUV:28 PNR:85 MAS:75 SNA:280
      IEX:210 NDSN:250 CHRW:90 ALLE:130 JBHT:165 GNRC:150 DAY:55 AOS:80 HII:250 SWK:90 PAYC:180 ROL:50 GEV:250
      LII:600`,
  },
  {
    sector: 'Materials',
    vol: 0.017,
    tickers: `LIN:460 SHW:340 APD:280 ECL:240 FCX:48 NEM:45 CTVA:55 DOW:52 DD:80 NUE:150 VMC:250 MLM:550
      PPG:130 LYB:95 IFF:100 BALL:65 STLD:130 PKG:210 IP:45 AVY:210 ALB:95 CF:80 AMCR:10 CE:130 MOS:28 EMN:100
      SW:45 FMC:60`,
  },
  {
    sector: 'Real Estate',
    vol: 0.016,
    tickers: `PLD:120 AMT:210 EQIX:800 WELL:120 SPG:160 PSA:320 O:58 CCI:105 DLR:150 CBRE:110 EXR:160 AVB:210
      VICI:32 IRM:100 EQR:70 VTR:60 SBAC:220 INVH:35 WY:30 ARE:115 ESS:280 MAA:150 KIM:22 DOC:21 HST:18 UDR:42
      CPT:115 REG:68 BXP:75 FRT:110`,
  },
  {
    sector: 'Utilities',
    vol: 0.013,
    tickers: `NEE:75 SO:85 DUK:105 CEG:220 SRE:80 AEP:95 D:55 PCG:19 EXC:38 XEL:62 ED:95 PEG:85 EIX:75 WEC:90
      ETR:140 DTE:120 AEE:85 PPL:32 ES:62 FE:42 CNP:30 ATO:135 CMS:68 NRG:90 NI:33 LNT:58 EVRG:60 PNW:85 AES:17
      VST:120`,
  },
];

/** FNV-1a over the ticker's UTF-16 code units: a stable, dependency-free hash for the derived fields. */
const fnv1a = (s: string, salt: number): number => {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche so short tickers that differ in one letter spread over the whole range.
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  return h >>> 0;
};

const unit = (s: string, salt: number): number => fnv1a(s, salt) / 2 ** 32;

const expand = (rows: readonly SectorRow[]): SymbolInfo[] => {
  const out: SymbolInfo[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const token of row.tickers.split(/\s+/)) {
      if (token === '') continue;
      const colon = token.indexOf(':');
      const symbol = colon < 0 ? token : token.slice(0, colon);
      if (seen.has(symbol)) throw new Error(`sp500 table lists ${symbol} twice`);
      seen.add(symbol);
      const given = colon < 0 ? Number.NaN : Number(token.slice(colon + 1));
      const basePrice = Number.isFinite(given) ? given : Math.round(20 * 20 ** unit(symbol, 1) * 100) / 100;
      const volatility = Math.round(row.vol * (0.75 + 0.7 * unit(symbol, 2)) * 1e5) / 1e5;
      out.push({ symbol, sector: row.sector, basePrice, volatility });
    }
  }
  return out;
};

export const SP500: readonly SymbolInfo[] = expand(ROWS);
