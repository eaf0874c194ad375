# ruff: noqa: E501  (story bodies are Markdown prose: one paragraph per line)
"""The demo newsroom's stories: an original day's paper for a Dhaka daily, plus generated filler.

`seed_stories()` writes ~35 hand-written stories through the real services (so each has its
revisions, audit trail and notifications): published ones spread over the last three days, some
placed in Top News, one corrected, and at least one in every unpublished state. All people,
quotes and figures are invented; institutions are named only to make the paper feel real.
Times are relative ("yesterday", "last month") because the demo may run on any date.

`seed_generated_stories(n)` bulk-loads n published stories of generated text for load tests.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import nh3
from sqlalchemy import insert, select, text

from editorial.demo_photos import add_photo
from editorial.extensions import db
from editorial.models import (
    Desk,
    Person,
    Placement,
    Revision,
    Story,
    Tag,
    desk_members,
    story_authors,
    story_tags,
)
from editorial.models.loading import load_missing
from editorial.rendering import render_body, slugify
from editorial.services import audit, commit
from editorial.services.cache import purge_public_cache
from editorial.services.live import EntryInput, pin_entry, post_entry, start_live_coverage
from editorial.services.revisions import CorrectionInput
from editorial.services.stories import (
    StoryInput,
    create_story,
    save_story,
    set_placement,
)
from editorial.services.transitions import transition_story as move
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState

NASREEN = "nasreen.akter@editorial.local"  # editor: national, city, business
TANVIR = "tanvir.rahman@editorial.local"  # editor: diplomatic, international, sports, opinion
RAFIQ = "rafiq.islam@editorial.local"
SHIRIN = "shirin.sultana@editorial.local"
KAMAL = "kamal.hossain@editorial.local"
ARIF = "arif.chowdhury@editorial.local"
NUSRAT = "nusrat.jahan@editorial.local"

EDITOR_OF = {
    "national": NASREEN,
    "city": NASREEN,
    "business": NASREEN,
    "diplomatic": TANVIR,
    "international": TANVIR,
    "sports": TANVIR,
    "opinion": TANVIR,
}


def person(email: str) -> Person:
    return db.session.execute(select(Person).where(Person.email == email)).scalar_one()


def desk(slug: str) -> Desk:
    return db.session.execute(select(Desk).where(Desk.slug == slug)).scalar_one()


def write(
    author: str,
    desk_slug: str,
    headline: str,
    standfirst: str,
    body: str,
    dateline: str = "DHAKA",
    tags: list[str] | None = None,
    byline: str = "",
    lead_photo_id: int | None = None,
) -> Story:
    """A draft by one of the demo staff (byline: the author's own unless given)."""
    return create_story(
        StoryInput(
            headline=headline,
            standfirst=standfirst,
            body=body,
            byline=byline,
            dateline=dateline,
            desk_id=desk(desk_slug).id,
            tags=tags or [],
            lead_photo_id=lead_photo_id,
        ),
        actor=person(author),
    )


def advance(story, editor: str, to: str, *, note: str = "", hours_ago: float | None = None):
    """Move a demo story along the workflow as a real editor would."""
    load_missing(story, "authors")
    author = story.authors[0]
    editor_person = person(editor)
    steps = {
        "submitted": [(Action.SUBMIT, author)],
        "changes_requested": [(Action.SUBMIT, author), (Action.REQUEST_CHANGES, editor_person)],
        "approved": [(Action.SUBMIT, author), (Action.APPROVE, editor_person)],
        "scheduled": [
            (Action.SUBMIT, author),
            (Action.APPROVE, editor_person),
            (Action.SCHEDULE, editor_person),
        ],
        "published": [
            (Action.SUBMIT, author),
            (Action.APPROVE, editor_person),
            (Action.PUBLISH, editor_person),
        ],
        "withdrawn": [
            (Action.SUBMIT, author),
            (Action.APPROVE, editor_person),
            (Action.PUBLISH, editor_person),
            (Action.WITHDRAW, editor_person),
        ],
        "spiked": [(Action.SPIKE, editor_person)],
    }[to]
    for action, actor in steps:
        move(
            story,
            action,
            actor=actor,
            note=note or "Demo note.",
            publish_at=utcnow() + timedelta(hours=3),
        )
    if hours_ago is not None and story.state == "published":
        when = utcnow() - timedelta(hours=hours_ago)
        story.published_at = story.first_published_at = when
        commit()
    return story


@dataclass
class Piece:
    """One hand-written demo story and how far it gets."""

    author: str
    desk: str
    headline: str
    standfirst: str
    body: str
    dateline: str = "DHAKA"
    tags: list[str] = field(default_factory=list)
    byline: str = ""
    hours_ago: float = 1.0
    top: bool = False


PUBLISHED = [
    Piece(
        RAFIQ,
        "diplomatic",
        "Dhaka, Delhi agree to resume Teesta technical talks next month",
        "Foreign secretaries meet for the first time in two years and set up a joint team "
        "to share dry-season flow data.",
        """Bangladesh and India agreed yesterday to restart technical talks on sharing the waters of the Teesta, ending a two-year pause in the most sensitive dossier between the neighbours.

The decision came at the end of foreign secretary-level consultations at the state guesthouse Padma, where the two delegations spent nearly four hours on water, trade and border management.

A joint technical team will meet next month to exchange dry-season flow data collected at Gajoldoba and Dalia, a foreign ministry official told *The Dhaka Chronicle* on condition of anonymity because he was not authorised to speak to the media.

"This is not a deal, and nobody should call it one," the official said. "But for the first time in a long while both sides have agreed on what numbers they are looking at."

## Farmers downstream

In Lalmonirhat and Nilphamari, where the river runs thin from January to April, farmers have been switching from boro rice to maize and tobacco because irrigation canals of the Teesta Barrage project run dry.

Water experts said a data-sharing mechanism, if it holds, could at least allow the Water Development Board to plan releases better.

The two sides also agreed to hold the next round of Joint Consultative Commission meetings in New Delhi early next year.""",
        tags=["Teesta", "Bangladesh-India relations", "Water"],
        hours_ago=2,
        top=True,
    ),
    Piece(
        SHIRIN,
        "national",
        "Cold wave grips northern districts as mercury drops to 7.8°C in Tetulia",
        "Schools delay morning shifts; hospitals report a rise in cold-related illness among "
        "children and the elderly.",
        """A mild to moderate cold wave swept over the northern districts today, pushing the minimum temperature down to 7.8 degrees Celsius in Tetulia, the lowest so far this season.

Dense fog from midnight to late morning slowed traffic on the Dhaka-Panchagarh highway and forced the ferry service at Paturia to halt for more than three hours, according to the Bangladesh Inland Water Transport Corporation.

At Panchagarh Sadar Hospital, the children's ward was running at nearly twice its capacity, resident medical officer Dr Selim Reza said. "Most of them have pneumonia or diarrhoea. Families who cannot afford warm clothes are the worst hit," he said.

The district administration said it had distributed 12,000 blankets and asked schools to start the morning shift an hour later until the cold eases.

The Meteorological Department forecast that the cold spell may continue for another three to four days and could spread to Rajshahi and Rangpur divisions.""",
        dateline="PANCHAGARH",
        tags=["Weather", "Cold wave"],
        byline="Our Correspondent, Panchagarh",
        hours_ago=3,
        top=True,
    ),
    Piece(
        ARIF,
        "sports",
        "Tigers clinch ODI series with five-wicket win in Sylhet",
        "A composed unbeaten 84 from the captain steers Bangladesh home with 11 balls to spare.",
        """Bangladesh sealed the three-match one-day series with a game to spare, chasing down 247 with five wickets and 11 balls in hand at the Sylhet International Cricket Stadium today.

Sent in on a slow surface, the visitors were restricted by a disciplined spin attack that conceded only two boundaries between the 15th and 35th overs.

The chase wobbled at 98 for four, but the captain's unbeaten 84 off 97 balls and a brisk 41 from the wicketkeeper-batter rebuilt the innings with a stand of 93.

"We talked about not panicking on this wicket," the captain said at the presentation. "If you keep wickets in hand here, the last ten overs are always easier."

Left-arm spinner Tanvir Alam, playing only his fourth match, was named player of the match for his figures of 3 for 32.

The final match will be played at the same venue on Friday.""",
        dateline="SYLHET",
        tags=["Cricket", "Bangladesh cricket"],
        hours_ago=4,
        top=True,
    ),
    Piece(
        SHIRIN,
        "city",
        "Metro rail to run until 11pm from next month",
        "Longer hours and three-minute peak frequency on the Uttara-Motijheel line, the "
        "operator says.",
        """Dhaka's metro rail will run until 11pm from next month, an hour later than now, the Dhaka Mass Transit Company Limited (DMTCL) announced today.

Trains will also run every three minutes during the morning and evening peaks, up from every four minutes, once two more trainsets finish testing.

"Office workers in Motijheel and Karwan Bazar have been asking for this since the line opened," a DMTCL official said. "The depot and maintenance crews are now ready for it."

Ridership on the line has crossed 400,000 passengers a day on weekdays, according to company figures, with the Uttara North, Agargaon and Motijheel stations the busiest.

Commuter groups welcomed the change but said feeder bus services to the stations, promised more than a year ago, were still missing.

A campaign called "সবুজ ঢাকা" (Green Dhaka), run by volunteers, has been asking the company to allow bicycles on the first and last trains of the day.""",
        tags=["Metro rail", "Transport", "Dhaka"],
        hours_ago=5,
        top=True,
    ),
    Piece(
        KAMAL,
        "business",
        "Bangladesh Bank holds policy rate at 10pc as inflation eases",
        "The central bank keeps its tight stance for another quarter, saying price pressure "
        "has not yet fallen enough.",
        """Bangladesh Bank kept its policy rate unchanged at 10 percent today, saying inflation, though easing, remained well above its target.

Point-to-point inflation fell to 8.2 percent last month from 8.9 percent a month earlier, according to the Bangladesh Bureau of Statistics, helped by lower prices of rice and vegetables.

| Indicator | Last month | A month earlier |
|---|---|---|
| Headline inflation | 8.2% | 8.9% |
| Food inflation | 8.6% | 9.7% |
| Non-food inflation | 7.9% | 8.2% |

"We will not cut rates until we see inflation below 7 percent for at least two quarters," a member of the monetary policy committee said after the meeting.

Business leaders had urged the central bank to lower borrowing costs, saying high interest rates were holding back investment in new factories.

Economists were divided. Some said a cut now would risk undoing a year of hard-won progress; others argued that food prices, the main driver of inflation, do not respond to interest rates at all.""",
        tags=["Bangladesh Bank", "Inflation", "Economy"],
        byline="Business Correspondent",
        hours_ago=6,
        top=True,
    ),
    Piece(
        SHIRIN,
        "national",
        "Dengue cases fall for a third straight week",
        "Health officials warn against complacency as larvae surveys still find breeding "
        "sites in a third of Dhaka's wards.",
        """Hospitalisations for dengue fell for the third consecutive week, the Directorate General of Health Services (DGHS) said today, as cooler weather reduced mosquito breeding.

A total of 1,126 patients were admitted to hospitals across the country last week, down from 1,540 the week before. Four deaths were recorded, taking this year's toll to 412.

But a survey by the DGHS's disease control unit found Aedes larvae above the risk threshold in 31 of Dhaka's 129 wards, mostly in construction sites and water stored in rooftop tanks.

"The season is not over," an entomologist involved in the survey said. "Every year we see people relax in late autumn and then a late spike."

The two city corporations said their special cleanliness drives would continue until the end of the year.""",
        tags=["Dengue", "Health"],
        hours_ago=8,
    ),
    Piece(
        KAMAL,
        "business",
        "DSE benchmark gains 1.4pc on banking stocks",
        "Turnover crosses Tk 900 crore for the first time in six weeks.",
        """Stocks on the Dhaka Stock Exchange rose for a third straight session today, led by banking and pharmaceutical shares.

The benchmark DSEX index closed 1.4 percent higher, while turnover rose to Tk 912 crore, the highest in six weeks.

Brokers said investors were buying bank shares ahead of the year-end dividend declarations, encouraged by the central bank's decision to keep interest rates steady.

Of the 396 issues traded, 241 advanced, 112 declined and 43 remained unchanged.

The Chittagong Stock Exchange's selective index also rose, by 1.1 percent.""",
        tags=["Stock market", "Economy"],
        byline="Business Correspondent",
        hours_ago=9,
    ),
    Piece(
        NUSRAT,
        "opinion",
        "Keep the Teesta talks on track",
        "A technical team is a modest step. It must not become another reason to wait.",
        """The agreement to restart technical talks on the Teesta is welcome, but it is worth remembering how many such beginnings have come to nothing.

For more than a decade, the people of the northern districts have heard that a water-sharing deal is near. In that time, farmers have changed crops, fishermen have changed trades, and the river has changed course more than once.

A data-sharing mechanism is the least controversial part of any agreement. It asks neither side to give anything up. That is precisely why it should be done quickly, and its findings made public.

We urge both governments to set a deadline for the technical team's report, and to publish the flow data it gathers. Trust between neighbours is built on numbers that both sides can see.

Bangladesh, for its part, must also look at what it can do alone: better storage, restored canals and water-efficient crops will help farmers whatever is decided in Delhi.""",
        tags=["Teesta", "Editorial"],
        byline="Editorial",
        hours_ago=10,
    ),
    Piece(
        RAFIQ,
        "international",
        "Thousands flee fresh fighting near Myanmar's border with Bangladesh",
        "Aid groups say camps on the Rakhine side are running short of food; Dhaka keeps "
        "the border closed.",
        """Renewed fighting between Myanmar's military and an armed group in northern Rakhine State has forced several thousand people from their homes this week, humanitarian agencies said.

Most of those displaced have moved to makeshift camps near Maungdaw, a few kilometres from the Naf river, where food and clean water are scarce, an aid worker based in the area said by telephone.

Residents of Teknaf on the Bangladesh side reported hearing heavy gunfire and explosions at night.

Border Guard Bangladesh said it had increased patrols and that the border remained closed. "We are watching the situation closely. No one will be allowed to cross illegally," a BGB commander in Cox's Bazar said.

Bangladesh already hosts more than a million Rohingya refugees in camps in Cox's Bazar and on Bhasan Char.""",
        dateline="COX'S BAZAR",
        tags=["Myanmar", "Rohingya"],
        byline="International Desk",
        hours_ago=11,
    ),
    Piece(
        RAFIQ,
        "diplomatic",
        "Dhaka seeks stronger UN role in Rohingya repatriation ahead of Geneva meeting",
        "Foreign ministry says any return must be voluntary, safe and monitored by UN "
        "agencies on the ground.",
        """Bangladesh will ask for a stronger role for United Nations agencies in any future repatriation of Rohingya refugees when donors meet in Geneva next week, officials said today.

The foreign ministry's position paper, seen by *The Dhaka Chronicle*, calls for UN monitors to be present in Rakhine State before, during and after any return.

"Repatriation without guarantees would only lead to another exodus," a senior official said. "The international community must stay engaged."

The paper also asks donors to close a funding gap for the refugee response, which has received less than half of what was sought this year. Food rations in the camps were cut twice in the past 18 months.

The Geneva meeting will be attended by representatives of more than 30 countries and several UN agencies.""",
        tags=["Rohingya", "United Nations", "Foreign policy"],
        hours_ago=12,
        top=True,
    ),
    Piece(
        SHIRIN,
        "city",
        "DNCC starts drive against illegal billboards on Airport Road",
        "Mobile courts remove 140 structures on the first day and fine owners Tk 6 lakh.",
        """The Dhaka North City Corporation began a drive today to remove illegal billboards along Airport Road, one of the capital's busiest thoroughfares.

Mobile courts removed 140 billboards and signboards between Banani and Khilkhet on the first day and fined their owners a total of Tk 6 lakh, a DNCC executive magistrate said.

Many of the structures had been put up without permission, and some blocked the view of traffic signals and pedestrian crossings, the magistrate said.

Owners of several advertising firms complained that they had not been given enough notice. The city corporation said notices had been published twice in national dailies over the past three months.

The drive will continue along Mirpur Road and Pragati Sarani next week.""",
        tags=["Dhaka", "DNCC"],
        hours_ago=14,
    ),
    Piece(
        RAFIQ,
        "international",
        "UN fund approves $150m for coastal resilience in South Asia",
        "Bangladesh's share will go to embankments, cyclone shelters and salt-tolerant "
        "farming in the southwest.",
        """The board of a United Nations climate fund approved $150 million yesterday for projects to protect coastal communities in Bangladesh, India and Sri Lanka from storm surges and saltwater intrusion.

Bangladesh's portion, about $62 million, will finance 80 kilometres of embankment repairs, 40 multipurpose cyclone shelters and training for farmers in salt-tolerant rice and vegetables in Khulna, Satkhira and Bagerhat.

"This is one of the largest adaptation grants the region has received in a single decision," said a member of the Bangladesh delegation at the board meeting in New York.

Climate campaigners welcomed the grant but said it was small compared with the damage that cyclones cause each year. Cyclone Remal alone caused losses estimated at several hundred million dollars.""",
        dateline="NEW YORK",
        tags=["Climate change", "United Nations"],
        byline="Diplomatic Correspondent",
        hours_ago=16,
    ),
    Piece(
        KAMAL,
        "business",
        "Garment exporters seek gas supply guarantee as orders recover",
        "Factory owners say low pressure has cut output by up to a third in Gazipur and "
        "Narayanganj.",
        """Garment manufacturers asked the government today to guarantee gas supply to export factories, saying low pressure was cutting production just as orders from Europe and the United States were recovering.

At a meeting with the energy ministry, factory owners said output at some mills in Gazipur and Narayanganj had fallen by up to a third because dyeing and finishing units could not run at full capacity.

"Buyers do not accept gas shortages as a reason for late shipment," said the managing director of a knitwear factory in Narayanganj. "We either pay for air freight or lose the order."

Energy officials said more imported liquefied natural gas would reach the grid from next month, when a third floating terminal comes into service.

Export earnings from garments grew 7 percent in the first five months of the fiscal year, according to the Export Promotion Bureau.""",
        tags=["Garments", "Energy", "Exports"],
        byline="Staff Reporter",
        hours_ago=18,
    ),
    Piece(
        SHIRIN,
        "national",
        "EC publishes final voter roll; women now half of new voters",
        "The updated list adds 4.5 million names, most of them young people voting for the "
        "first time.",
        """The Election Commission published the final updated voter list today, adding about 4.5 million new voters, more than half of them women.

The total number of voters now stands at 12.6 crore, according to the commission's secretary.

"For the first time, women make up the majority of newly registered voters," he told reporters at the Election Commission building in Agargaon. "Our door-to-door campaign in the char areas and tea gardens made the difference."

The commission also removed nearly 1.2 million names of dead voters and duplicates.

Citizens can check their registration by sending their national ID number by text message or on the commission's website.""",
        tags=["Election Commission", "Elections"],
        hours_ago=20,
    ),
    Piece(
        SHIRIN,
        "city",
        "Low gas pressure leaves Mirpur kitchens cold before dawn",
        "Residents cook at midnight or buy cylinders as supply fails from 6am to 3pm.",
        """Residents of several parts of Mirpur, Pallabi and Kafrul say they have had little or no gas in their kitchens from early morning to mid-afternoon for nearly three weeks.

"We cook at midnight and keep the food for the whole day," said Rokeya Begum, a schoolteacher in Mirpur-11. "For tea in the morning we use an electric kettle, which has doubled our bill."

Many families have started buying liquefied petroleum gas cylinders, at around Tk 1,450 for a 12kg cylinder, on top of the fixed monthly bill they pay for piped gas.

Titas Gas Transmission and Distribution Company said demand in winter always exceeds supply and that it was working to balance pressure across the city.

Consumer rights groups demanded a rebate for households that paid for gas they did not receive.""",
        tags=["Gas crisis", "Dhaka", "Energy"],
        hours_ago=22,
    ),
    Piece(
        NUSRAT,
        "opinion",
        "Our cities need shade, not just flyovers",
        "Every tree cut for a road widening project makes the city hotter for the people who walk.",
        """Walk from Farmgate to Karwan Bazar at two in the afternoon and you will understand the problem better than any report can explain it.

Dhaka has spent heavily on flyovers, expressways and a metro line. These are necessary. But most people in this city still walk for at least part of every journey, and the city is becoming harder to walk in every year.

Studies by urban researchers have found surface temperatures on treeless roads several degrees higher than on roads of the same width lined with trees. That difference is felt most by rickshaw pullers, street vendors and schoolchildren.

Three simple rules would help: no road project should be approved without a plan to replace every tree it removes; footpaths should be treated as roads, not parking spaces; and the city corporations should publish how many trees they plant and how many survive.

A city that is pleasant to walk in is not a luxury. It is the cheapest public health programme we could have.""",
        tags=["Urban planning", "Climate change"],
        byline="Farzana Rahim, urban planner",
        hours_ago=24,
    ),
    Piece(
        RAFIQ,
        "diplomatic",
        "Japan pledges $1.2b for metro's Line 5 southern route",
        "Loan agreement, the largest single Japanese package this year, is signed at the "
        "Economic Relations Division.",
        """Japan will lend Bangladesh about $1.2 billion for the construction of the southern section of Dhaka's Mass Rapid Transit Line 5, under an agreement signed today at the Economic Relations Division.

The 17-kilometre route will link Gabtoli and Dasherkandi, passing through Mohammadpur, Dhanmondi and Hatirjheel, with 16 stations, most of them underground.

The loan carries an interest rate of 0.7 percent and a repayment period of 30 years, including a grace period of 10 years, according to a statement from the Japanese embassy.

"This line will connect neighbourhoods that today have no mass transit at all," a transport ministry official said after the signing.

Work on the first package of the line is expected to begin next year.""",
        tags=["Metro rail", "Japan", "Foreign aid"],
        hours_ago=26,
    ),
    Piece(
        KAMAL,
        "business",
        "Remittance inflow hits 18-month high",
        "Migrant workers sent home $2.9b last month, helped by a narrower gap between the "
        "official and informal exchange rates.",
        """Expatriate Bangladeshis sent home $2.9 billion in remittances last month, the highest monthly figure in a year and a half, according to data released by Bangladesh Bank today.

Bankers said the narrowing gap between the official exchange rate and the informal hundi market had encouraged more workers to use formal channels.

Saudi Arabia was the largest source, followed by the United Arab Emirates, the United States and Malaysia.

The rise in remittances helped foreign exchange reserves climb above $21 billion by the central bank's calculation.

"Remittance is now the most stable source of dollars we have," said a managing director of a private commercial bank.""",
        tags=["Remittance", "Economy", "Bangladesh Bank"],
        byline="Business Correspondent",
        hours_ago=28,
    ),
    Piece(
        SHIRIN,
        "national",
        "Government raises school stipends in haor districts",
        "Children in Sunamganj, Kishoreganj and Netrokona will get an extra Tk 150 a month to "
        "keep them in class during the flood season.",
        """The government has raised monthly stipends for primary school pupils in seven haor districts by Tk 150, the primary and mass education ministry announced today.

The increase aims to reduce dropouts in the wetland region, where schools are often cut off for months during the monsoon and many children leave to work on boats or in the fields.

About 4.2 lakh children in Sunamganj, Kishoreganj, Netrokona, Habiganj, Moulvibazar, Sylhet and Brahmanbaria will benefit.

Teachers in the region welcomed the decision but said boat schools and safe transport mattered as much as money. "When the water rises, a child needs a boat, not a stipend," said a headteacher in Tahirpur upazila.""",
        tags=["Education", "Haor"],
        hours_ago=30,
    ),
    Piece(
        SHIRIN,
        "city",
        "Chemical store blamed for Armanitola fire, probe body says",
        "Report recommends moving all chemical warehouses out of Old Dhaka within a year.",
        """A government probe committee has found that a fire that killed four people in Armanitola last month started in an illegal chemical store on the ground floor of a residential building.

The committee's report, submitted to the home ministry today, says flammable chemicals were stored without permission, fire safety equipment, or ventilation.

It recommends that all chemical warehouses in Old Dhaka be relocated to the designated chemical industrial park in Munshiganj within a year, and that utility connections of buildings with illegal stores be cut.

Residents said similar recommendations had been made after earlier deadly fires in Nimtali and Chawkbazar.

"Every time, there is a report. Every time, the shops come back," said a resident who lost his shop in the fire.""",
        tags=["Fire", "Old Dhaka"],
        hours_ago=33,
    ),
    Piece(
        RAFIQ,
        "international",
        "Gulf states to ease visa rules for skilled South Asian workers",
        "New categories for technicians and nurses could open better-paid jobs for "
        "Bangladeshi migrants.",
        """Several Gulf states are preparing to simplify visa rules for skilled workers from South Asia, including technicians, electricians and nurses, officials attending a regional labour conference said.

The changes would allow workers with recognised certificates to change employers more easily and bring their families after two years, delegates said on the sidelines of the meeting.

Bangladesh sends more than a million workers abroad each year, but most work in low-paid, unskilled jobs.

"If our training centres can certify workers to the standard these countries need, the earnings per worker could double," said a Bangladeshi official at the conference.""",
        dateline="RIYADH",
        tags=["Migration", "Middle East"],
        byline="International Desk",
        hours_ago=36,
    ),
    Piece(
        RAFIQ,
        "diplomatic",
        "Bangladesh, Malaysia sign deal to cut migrant workers' recruitment costs",
        "Employers will pay recruitment fees under the new agreement, which also sets up a "
        "joint complaints desk.",
        """Bangladesh and Malaysia signed a memorandum of understanding in Kuala Lumpur today under which Malaysian employers will bear the full cost of recruiting Bangladeshi workers.

The agreement also sets up a joint complaints desk and requires wages to be paid through bank accounts, the expatriates' welfare ministry said.

Migrant workers currently pay middlemen the equivalent of several thousand dollars to secure jobs in Malaysia, often selling land or taking loans to do so.

"The cost of migration has been a form of debt bondage," said the head of a migrants' rights organisation. "If this agreement is enforced, it will change lives."

Malaysia's labour market for Bangladeshi workers was closed for much of the past year after allegations of a syndicate controlling recruitment.""",
        tags=["Migration", "Malaysia", "Labour"],
        byline="Diplomatic Correspondent",
        hours_ago=40,
    ),
    Piece(
        KAMAL,
        "business",
        "Chattogram port handles record container volume",
        "New gantry cranes at the New Mooring terminal cut vessel waiting time to under two days.",
        """Chattogram port handled a record 3.3 million twenty-foot equivalent units (TEUs) of containers over the past twelve months, the Chittagong Port Authority said today.

Waiting time for container vessels at the outer anchorage fell to under two days on average, from nearly five days two years ago, after new gantry cranes went into service at the New Mooring Container Terminal.

Shipping agents said congestion at private inland container depots, where export goods are stuffed, remained a bottleneck during peak season.

The port authority said the Bay Terminal project, which will be able to handle larger ships, was on schedule.""",
        dateline="CHATTOGRAM",
        tags=["Chattogram port", "Trade"],
        byline="Our Correspondent, Chattogram",
        hours_ago=44,
    ),
    Piece(
        ARIF,
        "sports",
        "Shooter Rina Akter wins gold at South Asian championship",
        "The 19-year-old from Rajshahi tops the 10m air rifle final with a championship record.",
        """Bangladesh's Rina Akter won gold in the women's 10m air rifle at the South Asian Shooting Championship in Kathmandu today, setting a championship record of 251.8 in the final.

The 19-year-old from Rajshahi, who took up the sport at a district camp four years ago, beat shooters from India and Sri Lanka, who took silver and bronze.

"I was nervous in the first series, then I stopped looking at the scoreboard," Rina said in a video message shared by the Bangladesh Shooting Sport Federation.

It was Bangladesh's first individual gold at the championship in six years. The federation said it would seek government support to send her to international training camps before next year's Asian Games.""",
        dateline="KATHMANDU",
        tags=["Shooting"],
        hours_ago=48,
    ),
    Piece(
        SHIRIN,
        "national",
        "Two more trains for Khulna-Mongla rail line",
        "Passengers and traders welcome the extra services; freight trains will follow.",
        """Bangladesh Railway will add two more passenger trains on the Khulna-Mongla line from next week, bringing the number of daily services to six.

The line, which opened last year, links the country's second seaport with the national rail network. Traders have been asking for freight services to move goods from Mongla port by rail rather than by road.

"Trucks take four hours to Khulna in the busy season. A freight train could do it in just over one," said a clearing and forwarding agent in Mongla.

Railway officials said freight services would start once loading facilities at the port are finished.""",
        dateline="KHULNA",
        tags=["Railway", "Mongla port"],
        byline="Our Correspondent, Khulna",
        hours_ago=54,
    ),
    Piece(
        ARIF,
        "sports",
        "Leaders Dhaka Rovers held to goalless draw",
        "Chattogram Mariners' keeper makes three fine saves to deny the Premier League leaders.",
        """League leaders Dhaka Rovers were held to a goalless draw by Chattogram Mariners at the Bangabandhu National Stadium today, their first dropped points in five matches.

Mariners goalkeeper Sohel Rana made three fine saves, including a diving stop from a free kick in stoppage time.

Rovers remain top of the table with 22 points from nine matches, three points clear of second-placed Sylhet United, who have a game in hand.

"We controlled the game but did not create enough clear chances," the Rovers coach said.""",
        tags=["Football"],
        hours_ago=60,
    ),
    Piece(
        NUSRAT,
        "opinion",
        "The quiet crisis in our primary classrooms",
        "Enrolment figures look good. What children actually learn tells a different story.",
        """By some measures, Bangladesh's primary education is a success story. Almost every child enrols. Girls outnumber boys. Free textbooks reach schools on the first day of the year.

But ask a group of fifth-graders to read a short paragraph and answer questions about it, and the picture changes. Learning assessments have repeatedly found that a large share of children finish primary school without the reading and arithmetic skills the curriculum expects.

The reasons are not mysterious: classes of sixty or more, teachers pulled away for census and election duties, and an examination culture that rewards memorisation.

Three things would help more than any new curriculum: smaller classes in the early grades, protecting teachers' time for teaching, and measuring learning, not just attendance, in every upazila.

We have built schools. Now we must make sure children learn in them.""",
        tags=["Education"],
        byline="Mahbub Alam, a former headteacher",
        hours_ago=70,
    ),
]

LIVE = (
    "Tigers clinch ODI series with five-wicket win in Sylhet",
    [
        "**Toss:** the visitors win it and bat first on a slow Sylhet surface.",
        "Spin from both ends: just two boundaries between the 15th and 35th overs.",
        "The visitors finish on 246 for 8. Bangladesh need 247 to take the series.",
        "Wobble at 98 for four. The captain and the wicketkeeper-batter are together.",
        "**Bangladesh win by five wickets** with 11 balls to spare; the captain 84 not out.",
    ],
)
CORRECTION = (
    "Bangladesh, Malaysia sign deal to cut migrant workers' recruitment costs",
    "An earlier version of this article said the agreement was signed in Kuala Lumpur. It was "
    "signed in Dhaka.",
)


def _publish(piece: Piece, desk_photos: dict[str, int]) -> Story:
    # One drawn photo per desk, shared by its stories (renditions are the slow part of the
    # demo); opinion pieces run without one, as in print, so both kinds of card show.
    if piece.desk != "opinion" and piece.desk not in desk_photos:
        desk_photos[piece.desk] = add_photo(piece.desk, actor=person(piece.author))
    photo_id = desk_photos.get(piece.desk)
    story = write(
        piece.author,
        piece.desk,
        piece.headline,
        piece.standfirst,
        piece.body,
        dateline=piece.dateline,
        tags=piece.tags,
        byline=piece.byline,
        lead_photo_id=photo_id,
    )
    advance(story, EDITOR_OF[piece.desk], "published", hours_ago=piece.hours_ago)
    if piece.top:
        set_placement(story, Placement.TOP, actor=person(EDITOR_OF[piece.desk]))
    return story


def _live(story: Story, entries: list[str]) -> None:
    """Live coverage under way: entries posted by the reporter, the first one pinned."""
    start_live_coverage(story, actor=person(EDITOR_OF["sports"]))
    posted = [post_entry(story, EntryInput(body=text), actor=person(ARIF)) for text in entries]
    pin_entry(posted[0], story=story, actor=person(EDITOR_OF["sports"]))


def _correct(story: Story, note: str) -> None:
    """A published correction: the text fixed, a notice added, 'Updated' shown."""
    load_missing(story, "tags")
    data = StoryInput(
        headline=story.headline,
        standfirst=story.standfirst,
        body=story.body.replace("in Kuala Lumpur", "in Dhaka"),
        byline=story.byline,
        dateline=story.dateline,
        desk_id=story.desk_id,
        slug=story.slug,
        tags=[t.name for t in story.tags],
    )
    save_story(
        story,
        data,
        actor=person(TANVIR),
        expected_version=story.version,
        correction=CorrectionInput(note=note),
    )


def _unpublished() -> None:
    """One story in every state readers must never see."""
    write(
        SHIRIN,
        "national",
        "Winter vegetable prices (notes)",
        "",
        "Karwan Bazar wholesale: cauliflower Tk 25-30, tomato Tk 60. Call the DAM official "
        "tomorrow. Need retail prices from Mirpur and Mohammadpur.",
        tags=["Prices"],
    )
    story = write(
        SHIRIN,
        "national",
        "River erosion threatens 300 homes in Kurigram",
        "The Brahmaputra has swallowed a primary school and a mosque in Chilmari this month.",
        "Residents of three villages in Chilmari upazila have begun dismantling their tin "
        "houses as the Brahmaputra eats into the bank.\n\nThe Water Development Board said "
        "emergency dumping of geo-bags would begin next week.",
        dateline="KURIGRAM",
        byline="Our Correspondent, Kurigram",
        tags=["River erosion"],
    )
    advance(story, NASREEN, "submitted")
    story = write(
        KAMAL,
        "business",
        "Startups say new tax rule will hurt early funding",
        "A proposed withholding tax on foreign investment in unlisted companies worries founders.",
        "Founders of tech startups said a proposed tax rule would discourage foreign investors."
        "\n\nThe National Board of Revenue has not commented.",
        tags=["Startups", "Tax"],
    )
    advance(
        story,
        NASREEN,
        "changes_requested",
        note="We need the NBR's response and at least one investor on record before this runs.",
    )
    story = write(
        ARIF,
        "sports",
        "Cricket board to launch franchise league for women",
        "Six teams will play a month-long tournament after the men's season.",
        "The cricket board will launch a six-team franchise league for women next season, a "
        "board director said.\n\nPlayers' draft and broadcast details will be announced later.",
        tags=["Cricket"],
    )
    advance(story, TANVIR, "approved")
    story = write(
        SHIRIN,
        "city",
        "New fare chart for CNG auto-rickshaws takes effect",
        "Base fare rises to Tk 50 for the first two kilometres.",
        "The road transport authority's new fare chart for CNG-run auto-rickshaws comes into "
        "force today.\n\nDrivers must display the chart inside the vehicle.",
        tags=["Transport", "Dhaka"],
    )
    advance(story, NASREEN, "approved")
    move(
        story,
        Action.SCHEDULE,
        actor=person(NASREEN),
        publish_at=utcnow() + timedelta(hours=1),
    )
    story = write(
        SHIRIN,
        "city",
        "Dhaka's air worst in the world for third day running",
        "AQI readings above 300 at several monitoring stations.",
        "Dhaka's air quality index stood above 300 this morning.\n\nDoctors advised people "
        "with asthma to stay indoors.",
        tags=["Air pollution", "Dhaka"],
    )
    advance(
        story,
        NASREEN,
        "withdrawn",
        note="The readings came from an uncalibrated private sensor; withdrawn pending checks.",
    )
    story = write(
        KAMAL,
        "business",
        "Fuel prices to rise next week, sources say",
        "",
        "Unconfirmed: a fuel price rise may be announced next week.",
    )
    advance(story, NASREEN, "spiked", note="Single anonymous source; the ministry denies it.")


def seed_stories() -> None:
    """The demo paper: published stories (some in Top News, one corrected) and the rest."""
    desk_photos: dict[str, int] = {}
    stories = {piece.headline: _publish(piece, desk_photos) for piece in PUBLISHED}
    headline, note = CORRECTION
    _correct(stories[headline], note)
    _live(stories[LIVE[0]], LIVE[1])
    _unpublished()


# --- generated stories for load tests -----------------------------------------------------------

PLACES = [
    ("DHAKA", "Dhaka"),
    ("CHATTOGRAM", "Chattogram"),
    ("SYLHET", "Sylhet"),
    ("RAJSHAHI", "Rajshahi"),
    ("KHULNA", "Khulna"),
    ("BARISHAL", "Barishal"),
    ("RANGPUR", "Rangpur"),
    ("MYMENSINGH", "Mymensingh"),
    ("COMILLA", "Comilla"),
    ("BOGURA", "Bogura"),
    ("JASHORE", "Jashore"),
    ("NOAKHALI", "Noakhali"),
]
SUBJECTS = {
    "national": [
        "flood shelters",
        "rural roads",
        "upazila health complexes",
        "boro seedlings",
        "primary schools",
        "river embankments",
        "union digital centres",
        "social safety net cards",
    ],
    "diplomatic": [
        "trade talks",
        "visa facilitation",
        "border management",
        "power imports",
        "river commissions",
        "investment forums",
        "consular services",
    ],
    "city": [
        "waterlogging",
        "bus routes",
        "footpath clearance",
        "waste collection",
        "street lights",
        "parking rules",
        "water supply",
        "park renovation",
    ],
    "business": [
        "export orders",
        "rice prices",
        "bank deposits",
        "jute exports",
        "LPG prices",
        "SME loans",
        "tea auctions",
        "shrimp exports",
    ],
    "international": [
        "climate finance",
        "shipping rates",
        "regional trade",
        "migrant workers",
        "monsoon forecasts",
        "refugee funding",
    ],
    "sports": [
        "the national cricket camp",
        "the football league",
        "the kabaddi team",
        "the archery squad",
        "the hockey league",
        "the chess olympiad team",
    ],
    "opinion": [
        "public transport",
        "school exams",
        "river pollution",
        "hospital queues",
        "city planning",
        "food safety",
    ],
}
HEADLINES = [
    "{place} officials promise action on {subject}",
    "New plan for {subject} unveiled in {place}",
    "{Subject}: what changes for {place} this month",
    "Experts call for review of {subject} in {place}",
    "{place} residents divided over {subject}",
    "Funding gap slows work on {subject} in {place}",
    "Report finds progress on {subject} in {place}",
]
SENTENCES = [
    "Officials in {place} said work on {subject} would be completed before the monsoon.",
    "Local residents said they had waited years for improvements to {subject}.",
    "A committee formed last month will review progress on {subject} every quarter.",
    "According to the district administration, about {n} families will benefit.",
    "Critics said the budget of Tk {n} crore was too small for the task.",
    '"We have heard many promises about {subject}," said a shopkeeper in {place}.',
    "The ministry said a detailed report on {subject} would be made public.",
    "Contractors blamed rising costs of materials for the delays.",
    "Development partners have offered technical support, officials said.",
    "The programme will be extended to {n} more upazilas next year if it succeeds.",
    "Women and children are expected to gain most, a rights group said.",
    "Traders in {place} said the change would affect business during the festive season.",
]
TAG_POOL = [
    "Development",
    "Local government",
    "Economy",
    "Environment",
    "Transport",
    "Health",
    "Education",
    "Trade",
    "Agriculture",
    "Sport",
]
BATCH = 1000


def _generated_text(rng: random.Random, desk_slug: str) -> tuple[str, str, str, str]:
    """(headline, standfirst, body, dateline) of a plausible but generated story."""
    dateline, place = rng.choice(PLACES)
    subject = rng.choice(SUBJECTS.get(desk_slug) or SUBJECTS["national"])
    words = {"place": place, "subject": subject, "Subject": subject[:1].upper() + subject[1:]}
    headline = rng.choice(HEADLINES).format(**words)
    headline = headline[:1].upper() + headline[1:]
    standfirst = f"Officials, residents and experts weigh in on {subject} in {place}."
    paragraphs = []
    for _ in range(rng.randint(4, 7)):
        chosen = rng.sample(SENTENCES, 2)
        paragraphs.append(" ".join(s.format(n=rng.randint(12, 900), **words) for s in chosen))
    return headline, standfirst, "\n\n".join(paragraphs), dateline


def _tag_ids() -> list[int]:
    """Ids of the generated stories' tags, creating the tags on first use."""
    ids = []
    for name in TAG_POOL:
        slug = slugify(name, 70)
        tag_id = db.session.scalar(select(Tag.id).where(Tag.slug == slug))
        if tag_id is None:
            tag_id = db.session.execute(
                insert(Tag).values(name=name, slug=slug).returning(Tag.id)
            ).scalar_one()
        ids.append(tag_id)
    return ids


def _writers() -> dict[int, tuple[list[int], str]]:
    """Desk id -> (ids of its members, desk slug); anyone on staff for an empty desk."""
    everyone = list(db.session.scalars(select(Person.id).order_by(Person.id)))
    desks = db.session.execute(select(Desk.id, Desk.slug)).all()
    result = {}
    for desk in desks:
        members = list(
            db.session.scalars(
                select(desk_members.c.person_id).where(desk_members.c.desk_id == desk.id)
            )
        )
        result[desk.id] = (members or everyone, desk.slug)
    return result


def seed_generated_stories(count: int) -> int:
    """Add `count` published stories of generated text, spread over desks and three weeks.

    Bulk inserts in batches (10,000 take seconds): each story gets its author, tags and a first
    revision; the search index follows by trigger (SQLite) or generated column (PostgreSQL).
    One audit event records the run, and the public cache is purged once at the end.
    """
    if count <= 0:
        return 0
    writers = _writers()
    if not writers or not any(members for members, _slug in writers.values()):
        raise RuntimeError("run `flask demo` first: generated stories need desks and staff")
    rng = random.Random(count)
    run = secrets.token_hex(3)
    tag_ids = _tag_ids()
    desk_ids = sorted(writers)
    now = utcnow()
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        stories, authors = [], []
        for i in range(done, done + size):
            desk_id = desk_ids[i % len(desk_ids)]
            members, desk_slug = writers[desk_id]
            author = rng.choice(members)
            headline, standfirst, body, dateline = _generated_text(rng, desk_slug)
            when = now - timedelta(seconds=rng.randint(60, 21 * 24 * 3600))
            html = render_body(body)
            stories.append(
                {
                    "headline": headline,
                    "slug": f"{slugify(headline, 60)}-{run}{i}",
                    "standfirst": standfirst,
                    "body": body,
                    "body_html": html,
                    # rendering.word_count would render the body a second time
                    "word_count": len(nh3.clean(html, tags=set()).split()),
                    "byline": "Staff Reporter",
                    "dateline": dateline,
                    "desk_id": desk_id,
                    "state": StoryState.PUBLISHED.value,
                    "placement": Placement.NONE.value,
                    "version": 1,
                    "was_submitted": True,
                    "submitted_at": when,
                    "published_at": when,
                    "first_published_at": when,
                    "created_at": when,
                    "modified_at": when,
                    "created_by_id": author,
                }
            )
            authors.append(author)
        ids = db.session.scalars(
            insert(Story).returning(Story.id, sort_by_parameter_order=True), stories
        ).all()
        db.session.execute(
            insert(story_authors),
            [{"story_id": sid, "person_id": pid} for sid, pid in zip(ids, authors, strict=True)],
        )
        db.session.execute(
            insert(story_tags),
            [
                {"story_id": sid, "tag_id": tag}
                for sid in ids
                for tag in rng.sample(tag_ids, rng.randint(1, 2))
            ],
        )
        db.session.execute(
            insert(Revision),
            [
                {
                    "story_id": sid,
                    "number": 1,
                    "headline": row["headline"],
                    "standfirst": row["standfirst"],
                    "body": row["body"],
                    "byline": row["byline"],
                    "dateline": row["dateline"],
                    "summary": "Generated for load tests",
                    "created_at": row["created_at"],
                    "created_by_id": row["created_by_id"],
                }
                for sid, row in zip(ids, stories, strict=True)
            ],
        )
        done += size
    audit.record(
        "demo.stories_generated",
        actor=None,
        subject_type="site",
        data={"count": count, "run": run},
    )
    purge_public_cache()
    commit()
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics, or the planner keeps its empty-table guesses for the bulk load.
        db.session.execute(text("ANALYZE stories, story_tags, story_authors, revisions"))
        commit()
    return count
